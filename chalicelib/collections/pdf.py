"""The boleto PDF: payee, payer, amounts, the linha digitável, the barcode in Interleaved 2 of 5 and,
for a boleto híbrido, the Pix QR. Rendered on request (nothing stored): a charge's PDF is a pure
function of the charge, and rendering costs less than a stored object's upkeep.

reportlab is imported lazily: the API function's cold import stays small (DESIGN.md).
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.collections import boleto as febraban
from chalicelib.collections.model import Charge
from chalicelib.platform.money import format_brl

if TYPE_CHECKING:
    from chalicelib.catalog.model import Customer
    from chalicelib.tenants.model import Tenant

# FEBRABAN's barcode: I2of5, narrow bar 0.33 mm at 1:3, 13 mm high (about 103 mm long for 44 digits).
BAR_WIDTH_MM = 0.33
BAR_RATIO = 3.0
BAR_HEIGHT_MM = 13


def percent_text(value: Decimal) -> str:
    """A rate as printed in Portuguese: 2 → "2%", 1.50 → "1,5%"."""
    return f"{value.normalize():f}".replace(".", ",") + "%"


def instructions(charge: Charge) -> str:
    """The late-payment instructions: the charge's fine (already capped for a consumer) and interest."""
    return (f"Após o vencimento, multa de {percent_text(charge.fine_percent)} e juros de "
            f"{percent_text(charge.interest_monthly_percent)} ao mês pro rata die.")


def render_boleto(charge: Charge, payee: dict[str, Any], payer: dict[str, Any]) -> bytes:
    from reportlab.graphics.barcode.common import I2of5
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    assert charge.boleto is not None
    info = charge.boleto
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    page.setTitle(f"Boleto {charge.id}")
    page.setAuthor(str(payee.get("name", "")))
    width, height = A4
    left, top = 15 * mm, height - 20 * mm

    page.setFont("Helvetica-Bold", 14)
    page.drawString(left, top, f"{info.bank_code}-9")
    page.setFont("Helvetica-Bold", 11)
    page.drawString(left + 25 * mm, top, febraban.format_linha(info.digitable_line))

    rows = [
        ("Beneficiário", f"{payee.get('name', '')}  CNPJ {payee.get('cnpj', '')}"),
        ("Agência / Código do beneficiário", f"{payee.get('agency', '')} / {payee.get('account', '')}"),
        ("Pagador", f"{payer.get('name', '')}  {payer.get('document', '')}"),
        ("Nosso número", info.our_number),
        ("Vencimento", charge.due_date.strftime("%d/%m/%Y")),
        ("Valor do documento", format_brl(charge.amount_cents)),
        ("Descrição", charge.description[:90]),
        ("Instruções", instructions(charge)),
    ]
    y = top - 12 * mm
    for label, value in rows:
        page.setFont("Helvetica", 7)
        page.drawString(left, y + 3.5 * mm, label)
        page.setFont("Helvetica", 10)
        page.drawString(left, y, value)
        page.line(left, y - 1.5 * mm, width - left, y - 1.5 * mm)
        y -= 10 * mm

    barcode = I2of5(info.barcode, barWidth=BAR_WIDTH_MM * mm, ratio=BAR_RATIO, barHeight=BAR_HEIGHT_MM * mm,
                    checksum=0, bearers=0, quiet=1, lquiet=6.35 * mm, rquiet=6.35 * mm)
    barcode.drawOn(page, left - 6.35 * mm, y - BAR_HEIGHT_MM * mm)
    y -= BAR_HEIGHT_MM * mm + 10 * mm

    if charge.pix is not None:
        from chalicelib.collections.pix import qrcode_png

        side = 40 * mm
        page.drawImage(ImageReader(io.BytesIO(qrcode_png(charge.pix.brcode, scale=4))), left, y - side,
                       width=side, height=side)
        page.setFont("Helvetica-Bold", 10)
        page.drawString(left + side + 5 * mm, y - 8 * mm, "Pague com Pix")
        page.setFont("Helvetica", 7)
        text = page.beginText(left + side + 5 * mm, y - 14 * mm)
        payload = charge.pix.brcode
        for start in range(0, len(payload), 80):
            text.textLine(payload[start:start + 80])
        page.drawText(text)

    page.showPage()
    page.save()
    return buffer.getvalue()


def boleto_pdf(charge: Charge, tenant: Tenant, customer: Customer) -> bytes:
    """The boleto of `charge` as the tenant issues it to `customer` (the route's PDF, and the email's)."""
    settings = tenant.settings.collections
    return render_boleto(charge, {"name": tenant.legal_name, "cnpj": tenant.cnpj, "agency": settings.agency,
                                  "account": settings.account},
                         {"name": customer.name, "document": customer.document})
