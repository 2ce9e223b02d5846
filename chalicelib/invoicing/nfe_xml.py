"""Build an unsigned NF-e 4.00 (modelo 55) from an `Invoice` with nfelib's generated bindings.

Values are computed in integer centavos first (`compute_lines`), then written as decimal strings with two
places; totals are the sums of the lines' own rounded values, so `ICMSTot` always matches its items
(rejeições 531, 532, 564, 610). Text goes through `sanitize_text`: the XSD's string pattern is
`[!-ÿ]{1}[ -ÿ]{0,}[!-ÿ]{1}`, i.e. Latin-1 printable characters with no leading/trailing space, so accents
stay but characters beyond U+00FF (dashes, curly quotes, emoji) are transliterated or dropped.

Tax reform (IBS/CBS, NT 2025.002-RTC): when `inv.tax.ibscbs` is set, every det gets `imposto/IBSCBS` (nfelib's
`TtribNfe`: CST, cClassTrib, gIBSCBS{vBC, gIBSUF{pIBSUF, vIBSUF}, gIBSMun{pIBSMun, vIBSMun}, vIBS,
gCBS{pCBS, vCBS}}) and the document gets `total/IBSCBSTot` (vBCIBSCBS, gIBS{gIBSUF{vDif, vDevTrib, vIBSUF},
gIBSMun{vDif, vDevTrib, vIBSMun}, vIBS, vCredPres, vCredPresCondSus}, gCBS{vDif, vDevTrib, vCBS, vCredPres,
vCredPresCondSus}), the totals being the sums of the lines. Per line (`_ibscbs_line`), in centavos:
    vBC = vProd + vFrete - vICMS - vICMSUFDest - vPIS - vCOFINS
(LC 214/2025 art. 12: the operation's value including the freight charged, § 1º IV, without the ICMS, ISS,
PIS and COFINS, § 2º V; it is the NT's vBC formula, vProd + vServ + vFrete + vSeg + vOutro + vII - vDesc - vPIS
- vCOFINS - vICMS - vICMSUFDest - vFCP - vFCPUFDest - vICMSMono - vISSQN (+ vIS), the terms this builder never
writes counting as zero); each of vIBSUF, vIBSMun and vCBS = vBC × rate half-up, vIBS = vIBSUF + vIBSMun. The
IBS/CBS are "por fora": vNF is unchanged, and the optional `total/vNFTot`, `det/vItem`, `ide/cMunFGIBS` (only
for indPres 5 without a recipient address) and `imposto/IS` are left out. With `ibscbs` None the document is
exactly what it was before the reform groups.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from nfelib.nfe.bindings.v4_0 import dfe_tipos_basicos_v1_00 as D
from nfelib.nfe.bindings.v4_0 import leiaute_nfe_v4_00 as L
from nfelib.nfe.bindings.v4_0 import tipos_basico_v4_00 as T
from nfelib.nfe.bindings.v4_0.nfe_v4_00 import Nfe
from xsdata.formats.dataclass.context import XmlContext
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.formats.dataclass.serializers.config import SerializerConfig

from chalicelib.brazil.places import UF_CODES
from chalicelib.brazil.taxes import ICMS_CST_TAXED, PIS_COFINS_CST_ALIQ, PIS_COFINS_CST_NT
from chalicelib.invoicing.chave import build_chave
from chalicelib.invoicing.nfe_input import (
    HOMOLOGACAO_DEST_XNOME,
    HOMOLOGACAO_FIRST_XPROD,
    TP_AMB_HOMOLOGACAO,
    IbsCbsProfile,
    InvalidInvoiceError,
    Invoice,
    Item,
    check_invoice,
)
from chalicelib.platform.errors import FieldError

NFE_NAMESPACE = "http://www.portalfiscal.inf.br/nfe"
VER_PROC = "Retaguarda 1.0"

# The responsible technical party (infRespTec), fixed for every tenant.
RESP_TEC_CNPJ = "11222333000181"
RESP_TEC_CONTATO = "Retaguarda"
RESP_TEC_EMAIL = "nfe@retaguarda.com.br"
RESP_TEC_FONE = "11999990000"

SIMPLES_NOTICE = ("DOCUMENTO EMITIDO POR ME OU EPP OPTANTE PELO SIMPLES NACIONAL. "
                  "NAO GERA DIREITO A CREDITO FISCAL DE IPI.")

_INF = L.Tnfe.InfNfe
_IMPOSTO = L.Tnfe.InfNfe.Det.Imposto
_IBSCBS_TOT = D.TibscbsmonoTot

_TRANSLITERATE = str.maketrans({
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"',
    "\u201d": '"', "\u201e": '"', "\u2026": "...", "\u2022": "-", "\u20ac": "EUR", "\u00a0": " ",
    "\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d", "\u0152": "OE", "\u0153": "oe", "\u0131": "i",
})
_SPACES = re.compile(r"\s+")

# What `Nfe.to_xml(indent="")` does, with one XmlContext per process: to_xml builds a fresh context per call
# and rebuilding the bindings' metadata is ~60 % of a build (see bench/bench_nfe.py).
_SERIALIZER = XmlSerializer(context=XmlContext(), config=SerializerConfig(indent=""))


# --- values --------------------------------------------------------------------------------------------------


def money(cents: int) -> str:
    """Centavos as the XSD's TDec_1302: "0.00", "1234.56"."""
    if cents < 0:
        raise ValueError("negative amounts are not written in an NF-e")
    return f"{cents // 100}.{cents % 100:02d}"


def rate(value: Decimal) -> str:
    """A percentage as TDec_0302a04: two to four decimal places ("18.00", "1.65", "2.4199")."""
    q = value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    text = f"{q:.4f}"
    while text.endswith("0") and len(text.split(".")[1]) > 2:
        text = text[:-1]
    return text


def apply_rate(base_cents: int, pct: Decimal) -> int:
    """base × pct / 100, rounded half-up to the centavo."""
    return int((Decimal(base_cents) * pct / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def sanitize_text(value: str | None, max_length: int) -> str:
    """Text the XSD accepts: Latin-1 printable, no control characters, single spaces, trimmed, capped."""
    if not value:
        return ""
    text = unicodedata.normalize("NFC", value).translate(_TRANSLITERATE)
    out = []
    for char in text:
        if char in "\t\r\n":
            out.append(" ")
        elif unicodedata.category(char) == "Cc":
            continue
        elif ord(char) <= 0xFF:
            out.append(char)
        else:
            # e.g. "ő" -> "o": keep the base letter when there is one in Latin-1
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if ord(c) <= 0xFF and not unicodedata.combining(c))
            out.append(base)
    text = _SPACES.sub(" ", "".join(out)).strip()
    return text[:max_length].rstrip()


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split `total` centavos in proportion to `weights` (largest remainder); the parts add up exactly."""
    whole = sum(weights)
    if total == 0 or whole == 0:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


@dataclass(frozen=True)
class LineValues:
    """One item's figures in centavos, as written in its det."""

    cfop: str
    vprod: int
    vfrete: int
    icms_vbc: int
    vicms: int
    vcred_sn: int
    vbc_uf_dest: int
    vicms_uf_dest: int
    pis_vbc: int
    vpis: int
    cofins_vbc: int
    vcofins: int
    ibscbs_vbc: int = 0  # IBS/CBS (all 0 when the invoice has no ibscbs profile)
    vibs_uf: int = 0
    vibs_mun: int = 0
    vcbs: int = 0

    @property
    def vibs(self) -> int:
        return self.vibs_uf + self.vibs_mun


@dataclass(frozen=True)
class Totals:
    """ICMSTot (and IBSCBSTot) in centavos; every field is the sum of the lines' values."""

    vbc: int
    vicms: int
    vbc_uf_dest: int
    vicms_uf_dest: int
    vprod: int
    vfrete: int
    vpis: int
    vcofins: int
    vnf: int
    vbc_ibscbs: int = 0
    vibs_uf: int = 0
    vibs_mun: int = 0
    vcbs: int = 0

    @property
    def vibs(self) -> int:
        return self.vibs_uf + self.vibs_mun


@dataclass(frozen=True)
class BuiltNfe:
    """An unsigned NF-e: its chave, its XML (UTF-8, no indentation) and the figures it carries."""

    chave: str
    xml: bytes
    lines: tuple[LineValues, ...]
    totals: Totals


def compute_lines(inv: Invoice) -> tuple[list[LineValues], Totals]:
    """Each item's values and the document totals, in centavos. Shipping is spread over the items in
    proportion to their value (the items' vFrete must add up to the total's)."""
    interstate = inv.is_interstate
    simples = inv.issuer.is_simples
    freights = allocate(inv.shipping_cents, [i.total_cents for i in inv.items])
    lines = []
    for item, vfrete in zip(inv.items, freights, strict=True):
        tax = inv.tax_of(item)
        difal = (not simples) and interstate and inv.recipient.ind_ie_dest == "9" and tax.icms_dest_rate is not None
        vprod = item.total_cents
        base = vprod + vfrete
        icms_vbc = vicms = vcred = vbc_dest = vicms_dest = 0
        if simples:
            if tax.csosn == "101" and tax.p_cred_sn is not None:
                vcred = apply_rate(vprod, tax.p_cred_sn)
        elif tax.icms_cst in ICMS_CST_TAXED:
            icms_rate = tax.icms_interstate_rate if interstate and tax.icms_interstate_rate is not None else tax.icms_rate
            icms_vbc, vicms = base, apply_rate(base, icms_rate)
            if difal and tax.icms_dest_rate is not None:
                vbc_dest = base
                vicms_dest = max(0, apply_rate(base, tax.icms_dest_rate) - vicms)
        pis_vbc, vpis = _contribution(tax.pis_cst, tax.pis_rate, base)
        cofins_vbc, vcofins = _contribution(tax.cofins_cst, tax.cofins_rate, base)
        cfop = ("6" if interstate else "5") + item.cfop[1:]
        ibscbs = (_ibscbs_line(tax.ibscbs, base - vicms - vicms_dest - vpis - vcofins)
                  if tax.ibscbs is not None else (0, 0, 0, 0))
        lines.append(LineValues(cfop, vprod, vfrete, icms_vbc, vicms, vcred, vbc_dest, vicms_dest,
                                pis_vbc, vpis, cofins_vbc, vcofins, *ibscbs))
    vprod_total = sum(x.vprod for x in lines)
    vfrete_total = sum(x.vfrete for x in lines)
    totals = Totals(
        vbc=sum(x.icms_vbc for x in lines),
        vicms=sum(x.vicms for x in lines),
        vbc_uf_dest=sum(x.vbc_uf_dest for x in lines),
        vicms_uf_dest=sum(x.vicms_uf_dest for x in lines),
        vprod=vprod_total,
        vfrete=vfrete_total,
        vpis=sum(x.vpis for x in lines),
        vcofins=sum(x.vcofins for x in lines),
        # vNF = vProd - vDesc - vICMSDeson + vST + vFCPST + vFrete + vSeg + vOutro + vII + vIPI + vIPIDevol
        vnf=vprod_total + vfrete_total,
        vbc_ibscbs=sum(x.ibscbs_vbc for x in lines),
        vibs_uf=sum(x.vibs_uf for x in lines),
        vibs_mun=sum(x.vibs_mun for x in lines),
        vcbs=sum(x.vcbs for x in lines),
    )
    return lines, totals


def _ibscbs_line(profile: IbsCbsProfile, base: int) -> tuple[int, int, int, int]:
    """(vBC, vIBSUF, vIBSMun, vCBS) of one line: the base is the line's value with its freight, less the ICMS
    (and DIFAL), PIS and COFINS written on it (LC 214/2025 art. 12 § 2º V); each value is rounded half-up on its own."""
    base = max(base, 0)
    return (base, apply_rate(base, profile.p_ibs_uf), apply_rate(base, profile.p_ibs_mun),
            apply_rate(base, profile.p_cbs))


def _contribution(cst: str, pct: Decimal, base: int) -> tuple[int, int]:
    """(vBC, value) of PIS or COFINS: none when not taxed (NT), the base when taxed by rate; an "Outr" CST
    (49, 99 in the Simples) carries a base only when it has a rate."""
    if cst in PIS_COFINS_CST_NT:
        return 0, 0
    value = apply_rate(base, pct)
    return (base, value) if cst in PIS_COFINS_CST_ALIQ or value else (0, 0)


# --- document ------------------------------------------------------------------------------------------------


def build_nfe(inv: Invoice) -> BuiltNfe:
    """The unsigned NF-e of `inv`; raise InvalidInvoiceError naming every bad field first."""
    errors = check_invoice(inv)
    if errors:
        raise InvalidInvoiceError("the invoice breaks NF-e rules", errors=errors)
    local = inv.issued_at
    chave = build_chave(cuf=UF_CODES[inv.issuer.address.uf], aamm=local.strftime("%y%m"), cnpj=inv.issuer.cnpj,
                        mod="55", serie=inv.serie, nnf=inv.nnf, tp_emis=inv.tp_emis, cnf=inv.cnf)
    lines, totals = compute_lines(inv)
    texts = _Texts()
    inf = _INF(
        ide=_ide(inv, chave),
        emit=_emit(inv, texts),
        dest=_dest(inv, texts),
        det=[_det(inv, n, item, line, texts) for n, (item, line) in enumerate(zip(inv.items, lines, strict=True), 1)],
        total=_total(totals, with_ibscbs=any(inv.tax_of(item).ibscbs is not None for item in inv.items)),
        transp=_INF.Transp(modFrete=L.TranspModFrete(_mod_frete(inv))),
        cobr=_cobr(inv, totals),
        pag=_pag(inv, totals),
        infAdic=_inf_adic(inv, lines, texts),
        infRespTec=L.TinfRespTec(CNPJ=RESP_TEC_CNPJ, xContato=RESP_TEC_CONTATO, email=RESP_TEC_EMAIL,
                                 fone=RESP_TEC_FONE),
        versao="4.00",
        Id="NFe" + chave,
    )
    if texts.errors:
        raise InvalidInvoiceError("the invoice breaks NF-e rules", errors=texts.errors)
    xml = _SERIALIZER.render(Nfe(infNFe=inf), ns_map={None: NFE_NAMESPACE})
    return BuiltNfe(chave=chave, xml=xml.encode("utf-8"), lines=tuple(lines), totals=totals)


class _Texts:
    """Sanitizes text fields and collects the ones left empty."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def required(self, path: str, value: str | None, max_length: int, min_length: int = 1) -> str:
        text = sanitize_text(value, max_length)
        if len(text) < min_length:
            self.errors.append(FieldError(path, f"needs at least {min_length} printable characters"))
        return text

    def optional(self, value: str | None, max_length: int, min_length: int = 1) -> str | None:
        text = sanitize_text(value, max_length)
        return text if len(text) >= min_length else None


def _ide(inv: Invoice, chave: str) -> L.Tnfe.InfNfe.Ide:
    final = inv.recipient.is_final_consumer
    return _INF.Ide(
        cUF=T.TcodUfIbge(UF_CODES[inv.issuer.address.uf]),
        cNF=inv.cnf,
        natOp=sanitize_text(inv.nat_op, 60) or "VENDA",
        mod=T.Tmod.VALUE_55,
        serie=str(inv.serie),
        nNF=str(inv.nnf),
        dhEmi=inv.issued_at.replace(microsecond=0).isoformat(),
        tpNF=L.IdeTpNf("1"),
        idDest=L.IdeIdDest("2" if inv.is_interstate else "1"),
        cMunFG=inv.issuer.address.city_code,
        tpImp=L.IdeTpImp("1"),
        tpEmis=L.IdeTpEmis(inv.tp_emis),
        cDV=chave[-1],
        tpAmb=T.Tamb(inv.tp_amb),
        finNFe=L.TfinNfe("1"),
        indFinal=L.IdeIndFinal("1" if final else "0"),
        indPres=L.IdeIndPres(inv.ind_pres),
        # NT 2020.006: indIntermed is required for non-presential sales; 0 = own site, no marketplace.
        indIntermed=L.IdeIndIntermed("0") if inv.ind_pres in ("2", "3", "4", "9") else None,
        procEmi=L.TprocEmi("0"),
        verProc=VER_PROC,
    )


def _emit(inv: Invoice, texts: _Texts) -> L.Tnfe.InfNfe.Emit:
    issuer, addr = inv.issuer, inv.issuer.address
    return _INF.Emit(
        CNPJ=issuer.cnpj,
        xNome=texts.required("issuer.legal_name", issuer.legal_name, 60, 2),
        xFant=texts.optional(issuer.trade_name, 60),
        enderEmit=L.TenderEmi(
            xLgr=texts.required("issuer.address.street", addr.street, 60, 2),
            nro=texts.required("issuer.address.number", addr.number, 60) if addr.number.strip() else "S/N",
            xCpl=texts.optional(addr.complement, 60),
            xBairro=texts.required("issuer.address.district", addr.district, 60, 2),
            cMun=addr.city_code,
            xMun=texts.required("issuer.address.city_name", addr.city_name, 60, 2),
            UF=T.TufEmi(addr.uf),
            CEP=addr.cep,
            cPais=L.TenderEmiCPais.VALUE_1058,
            xPais=L.TenderEmiXPais.BRASIL_1,
            fone=_phone(addr.phone),
        ),
        IE=issuer.ie,
        CRT=L.EmitCrt(issuer.crt),
    )


def _dest(inv: Invoice, texts: _Texts) -> L.Tnfe.InfNfe.Dest:
    rec, addr = inv.recipient, inv.recipient.address
    name = HOMOLOGACAO_DEST_XNOME if inv.tp_amb == TP_AMB_HOMOLOGACAO else texts.required("recipient.name", rec.name, 60, 2)
    return _INF.Dest(
        CNPJ=rec.document if rec.is_company else None,
        CPF=None if rec.is_company else rec.document,
        xNome=name,
        enderDest=L.Tendereco(
            xLgr=texts.required("recipient.address.street", addr.street, 60, 2),
            nro=texts.required("recipient.address.number", addr.number, 60) if addr.number.strip() else "S/N",
            xCpl=texts.optional(addr.complement, 60),
            xBairro=texts.required("recipient.address.district", addr.district, 60, 2),
            cMun=addr.city_code,
            xMun=texts.required("recipient.address.city_name", addr.city_name, 60, 2),
            UF=T.Tuf(addr.uf),
            CEP=addr.cep,
            cPais="1058",
            xPais="BRASIL",
            fone=_phone(addr.phone),
        ),
        indIEDest=L.DestIndIedest(rec.ind_ie_dest),
        IE=rec.ie if rec.ind_ie_dest == "1" else None,
        email=texts.optional(rec.email, 60),
    )


def _phone(phone: str | None) -> str | None:
    digits = "".join(c for c in phone or "" if c.isdigit())
    return digits if 6 <= len(digits) <= 14 else None


def _det(inv: Invoice, n: int, item: Item, line: LineValues, texts: _Texts) -> L.Tnfe.InfNfe.Det:
    if n == 1 and inv.tp_amb == TP_AMB_HOMOLOGACAO:
        xprod = HOMOLOGACAO_FIRST_XPROD
    else:
        xprod = texts.required(f"items.{n - 1}.name", item.name, 120)
    unit = texts.required(f"items.{n - 1}.unit", item.unit, 6)
    quantity = f"{item.quantity}.0000"
    unit_price = money(item.unit_price_cents)
    prod = _INF.Det.Prod(
        cProd=texts.required(f"items.{n - 1}.sku", item.sku, 60),
        cEAN=item.gtin,
        xProd=xprod,
        NCM=item.ncm,
        CEST=item.cest,
        CFOP=line.cfop,
        uCom=unit,
        qCom=quantity,
        vUnCom=unit_price,
        vProd=money(line.vprod),
        cEANTrib=item.gtin,
        uTrib=unit,
        qTrib=quantity,
        vUnTrib=unit_price,
        vFrete=money(line.vfrete) if line.vfrete else None,
        indTot=L.ProdIndTot("1"),
    )
    return _INF.Det(prod=prod, imposto=_imposto(inv, item, line), nItem=str(n))


def _imposto(inv: Invoice, item: Item, line: LineValues) -> L.Tnfe.InfNfe.Det.Imposto:
    tax, orig = inv.tax_of(item), L.Torig(str(item.origin))
    icms = _IMPOSTO.Icms()
    icms_uf_dest = None
    if inv.issuer.is_simples:
        if tax.csosn == "101" and tax.p_cred_sn is not None:
            icms.ICMSSN101 = _IMPOSTO.Icms.Icmssn101(orig=orig, CSOSN=L.Icmssn101Csosn("101"), pCredSN=rate(tax.p_cred_sn),
                                                     vCredICMSSN=money(line.vcred_sn))
        else:
            icms.ICMSSN102 = _IMPOSTO.Icms.Icmssn102(orig=orig, CSOSN=L.Icmssn102Csosn(tax.csosn))
    elif tax.icms_cst not in ICMS_CST_TAXED:  # 40 isenta, 41 não tributada: no base, no value
        icms.ICMS40 = _IMPOSTO.Icms.Icms40(orig=orig, CST=L.Icms40Cst(tax.icms_cst))
    else:
        icms_rate = tax.icms_interstate_rate if inv.is_interstate and tax.icms_interstate_rate is not None else tax.icms_rate
        icms.ICMS00 = _IMPOSTO.Icms.Icms00(orig=orig, CST=L.Icms00Cst("00"), modBC=L.Icms00ModBc("3"),
                                           vBC=money(line.icms_vbc), pICMS=rate(icms_rate), vICMS=money(line.vicms))
        if line.vbc_uf_dest and tax.icms_dest_rate is not None and tax.icms_interstate_rate is not None:
            icms_uf_dest = _IMPOSTO.Icmsufdest(
                vBCUFDest=money(line.vbc_uf_dest), vBCFCPUFDest=money(line.vbc_uf_dest), pFCPUFDest="0.00",
                pICMSUFDest=rate(tax.icms_dest_rate),
                pICMSInter=L.IcmsufdestPIcmsinter(f"{tax.icms_interstate_rate:.2f}"),
                pICMSInterPart="100.00", vFCPUFDest="0.00", vICMSUFDest=money(line.vicms_uf_dest),
                vICMSUFRemet="0.00")
    return _IMPOSTO(ICMS=icms, PIS=_pis(tax.pis_cst, tax.pis_rate, line.pis_vbc, line.vpis),
                    COFINS=_cofins(tax.cofins_cst, tax.cofins_rate, line.cofins_vbc, line.vcofins),
                    ICMSUFDest=icms_uf_dest,
                    IBSCBS=_ibscbs(tax.ibscbs, line) if tax.ibscbs is not None else None)


def _ibscbs(profile: IbsCbsProfile, line: LineValues) -> D.TtribNfe:
    """det/imposto/IBSCBS, CST 000 (tributação integral): the full gIBSCBS group, no reduction or deferral."""
    return D.TtribNfe(
        CST=profile.cst,
        cClassTrib=profile.c_class_trib,
        gIBSCBS=D.TcibsNfe(
            vBC=money(line.ibscbs_vbc),
            gIBSUF=D.TcibsNfe.GIbsuf(pIBSUF=rate(profile.p_ibs_uf), vIBSUF=money(line.vibs_uf)),
            gIBSMun=D.TcibsNfe.GIbsmun(pIBSMun=rate(profile.p_ibs_mun), vIBSMun=money(line.vibs_mun)),
            vIBS=money(line.vibs),
            gCBS=D.TcibsNfe.GCbs(pCBS=rate(profile.p_cbs), vCBS=money(line.vcbs)),
        ),
    )


def _pis(cst: str, pct: Decimal, vbc: int, value: int) -> L.Tnfe.InfNfe.Det.Imposto.Pis:
    if cst in PIS_COFINS_CST_ALIQ:
        return _IMPOSTO.Pis(PISAliq=_IMPOSTO.Pis.Pisaliq(CST=L.PisaliqCst(cst), vBC=money(vbc), pPIS=rate(pct),
                                                         vPIS=money(value)))
    if cst in PIS_COFINS_CST_NT:
        return _IMPOSTO.Pis(PISNT=_IMPOSTO.Pis.Pisnt(CST=L.PisntCst(cst)))
    return _IMPOSTO.Pis(PISOutr=_IMPOSTO.Pis.Pisoutr(CST=L.PisoutrCst(cst), vBC=money(vbc),
                                                     pPIS=rate(pct if value else Decimal(0)), vPIS=money(value)))


def _cofins(cst: str, pct: Decimal, vbc: int, value: int) -> L.Tnfe.InfNfe.Det.Imposto.Cofins:
    if cst in PIS_COFINS_CST_ALIQ:
        return _IMPOSTO.Cofins(COFINSAliq=_IMPOSTO.Cofins.Cofinsaliq(CST=L.CofinsaliqCst(cst), vBC=money(vbc),
                                                                     pCOFINS=rate(pct), vCOFINS=money(value)))
    if cst in PIS_COFINS_CST_NT:
        return _IMPOSTO.Cofins(COFINSNT=_IMPOSTO.Cofins.Cofinsnt(CST=L.CofinsntCst(cst)))
    return _IMPOSTO.Cofins(COFINSOutr=_IMPOSTO.Cofins.Cofinsoutr(CST=L.CofinsoutrCst(cst), vBC=money(vbc),
                                                                 pCOFINS=rate(pct if value else Decimal(0)),
                                                                 vCOFINS=money(value)))


def _total(t: Totals, with_ibscbs: bool = False) -> L.Tnfe.InfNfe.Total:
    zero = "0.00"
    difal = t.vbc_uf_dest > 0  # the items carry ICMSUFDest
    return _INF.Total(IBSCBSTot=_ibscbs_tot(t) if with_ibscbs else None, ICMSTot=_INF.Total.Icmstot(
        vBC=money(t.vbc), vICMS=money(t.vicms), vICMSDeson=zero,
        vFCPUFDest=zero if difal else None, vICMSUFDest=money(t.vicms_uf_dest) if difal else None,
        vICMSUFRemet=zero if difal else None,
        vFCP=zero, vBCST=zero, vST=zero, vFCPST=zero, vFCPSTRet=zero,
        vProd=money(t.vprod), vFrete=money(t.vfrete), vSeg=zero, vDesc=zero, vII=zero, vIPI=zero,
        vIPIDevol=zero, vPIS=money(t.vpis), vCOFINS=money(t.vcofins), vOutro=zero, vNF=money(t.vnf),
    ))


def _ibscbs_tot(t: Totals) -> D.TibscbsmonoTot:
    """total/IBSCBSTot: the sums of the lines; no deferral, refund or presumed credit is ever written (zeros)."""
    zero = "0.00"
    return _IBSCBS_TOT(
        vBCIBSCBS=money(t.vbc_ibscbs),
        gIBS=_IBSCBS_TOT.GIbs(
            gIBSUF=_IBSCBS_TOT.GIbs.GIbsuf(vDif=zero, vDevTrib=zero, vIBSUF=money(t.vibs_uf)),
            gIBSMun=_IBSCBS_TOT.GIbs.GIbsmun(vDif=zero, vDevTrib=zero, vIBSMun=money(t.vibs_mun)),
            vIBS=money(t.vibs), vCredPres=zero, vCredPresCondSus=zero,
        ),
        gCBS=_IBSCBS_TOT.GCbs(vDif=zero, vDevTrib=zero, vCBS=money(t.vcbs), vCredPres=zero, vCredPresCondSus=zero),
    )


def _mod_frete(inv: Invoice) -> str:
    if inv.mod_frete is not None:
        return inv.mod_frete
    return "0" if inv.shipping_cents else "9"


def _cobr(inv: Invoice, t: Totals) -> L.Tnfe.InfNfe.Cobr | None:
    if not inv.payment.installments:
        return None
    return _INF.Cobr(
        fat=_INF.Cobr.Fat(nFat=str(inv.nnf), vOrig=money(t.vnf), vDesc="0.00", vLiq=money(t.vnf)),
        dup=[_INF.Cobr.Dup(nDup=f"{i:03d}", dVenc=p.due_date.isoformat(), vDup=money(p.amount_cents))
             for i, p in enumerate(inv.payment.installments, 1)],
    )


def _pag(inv: Invoice, t: Totals) -> L.Tnfe.InfNfe.Pag:
    parts = inv.payment.installments
    on_credit = len(parts) > 1 or any(p.due_date > inv.issued_at.date() for p in parts)
    return _INF.Pag(detPag=[_INF.Pag.DetPag(indPag=L.DetPagIndPag("1" if on_credit else "0"),
                                            tPag=inv.payment.tpag, vPag=money(t.vnf))])


def _inf_adic(inv: Invoice, lines: list[LineValues], texts: _Texts) -> L.Tnfe.InfNfe.InfAdic | None:
    notes = []
    if inv.issuer.is_simples:
        notes.append(SIMPLES_NOTICE)
        credit = sum(x.vcred_sn for x in lines)
        rates = sorted({tax.p_cred_sn for tax in map(inv.tax_of, inv.items)
                        if tax.csosn == "101" and tax.p_cred_sn is not None})
        if rates:
            shown = " E ".join(f"{rate(r).replace('.', ',')}%" for r in rates)
            notes.append(f"PERMITE O APROVEITAMENTO DO CREDITO DE ICMS NO VALOR DE R$ {money(credit).replace('.', ',')}; "
                         f"CORRESPONDENTE A ALIQUOTA{'S' if len(rates) > 1 else ''} DE {shown}, "
                         "NOS TERMOS DO ART. 23 DA LC 123/2006.")
    if inv.additional_info:
        notes.append(inv.additional_info)
    text = texts.optional(" ".join(notes), 5000)
    return _INF.InfAdic(infCpl=text) if text else None
