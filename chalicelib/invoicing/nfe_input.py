"""Pure input model of an NF-e 4.00 (modelo 55): who issues, who receives, what, how it is taxed and paid.

Plain frozen dataclasses with no I/O: the service layer maps an order, the tenant's fiscal profile and
a reserved (série, nNF) into an `Invoice`, and `nfe_xml.build_nfe` turns it into XML. Money is integer
centavos; rates are `Decimal` percentages ("18" means 18 %). Fiscal codes keep their legal names.

Tax reform (LC 214/2025, NT 2025.002-RTC): `TaxProfile.ibscbs` (an `IbsCbsProfile`: CST, cClassTrib and the
CBS / IBS-UF / IBS-Mun rates) fills `det/imposto/IBSCBS` per line, summed into `total/IBSCBSTot` like
PIS/COFINS into `ICMSTot` (see `nfe_xml`). None leaves the groups out and the document exactly as before.
Who fills them in 2026 (`default_ibscbs`): CRT 3 (regime normal) must, at the test-year rates of LC 214/2025
art. 343 and 346 (CBS 0.9 %, IBS 0.1 % for the state, 0 % for the municipality); CRT 1, 2 and 4 (Simples
Nacional, excesso de sublimite, MEI) are not required to until 2027 (LC 214/2025 art. 348; NT 2025.002
v1.10 and v1.20 relaxed the validation rule for them), so they get the groups only from an explicit profile.
IS (Imposto Seletivo) is not modelled: it applies to listed goods from 2027.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from chalicelib.brazil.documents import is_valid_cnpj, is_valid_cpf
from chalicelib.brazil.places import UF_CODES
from chalicelib.brazil.taxes import CSOSNS, ICMS_CST_TAXED, ICMS_CSTS, PIS_COFINS_CSTS
from chalicelib.platform.errors import AppError, FieldError

# CRT (código de regime tributário) by the tenant's tax regime.
CRT_BY_TAX_REGIME: dict[str, str] = {
    "simples_nacional": "1",
    "simples_nacional_excesso": "2",
    "regime_normal": "3",
    "mei": "4",
}

# tPag by payment method (01 dinheiro, 03 cartão de crédito, 15 boleto, 17 Pix dinâmico, 99 outros).
TPAG_BY_METHOD: dict[str, str] = {
    "cash": "01",
    "card_link": "03",
    "boleto": "15",
    "pix": "17",
}

TP_AMB_PRODUCAO = "1"
TP_AMB_HOMOLOGACAO = "2"

# NT 2011/002 (rejeição 598): the recipient's name in homologação.
HOMOLOGACAO_DEST_XNOME = "NF-E EMITIDA EM AMBIENTE DE HOMOLOGACAO - SEM VALOR FISCAL"
# First item's description in homologação (rejeição 373 for NFC-e; harmless and conventional for NF-e).
HOMOLOGACAO_FIRST_XPROD = "NOTA FISCAL EMITIDA EM AMBIENTE DE HOMOLOGACAO - SEM VALOR FISCAL"

# indIEDest: 1 contribuinte ICMS, 2 contribuinte isento, 9 não contribuinte.
IND_IE_DEST = frozenset({"1", "2", "9"})
# indPres: 0 n/a, 1 presencial, 2 internet, 3 teleatendimento, 4 NFC-e entrega, 5 presencial fora, 9 outros.
IND_PRES = frozenset({"0", "1", "2", "3", "4", "5", "9"})
# modFrete: 0 remetente (CIF), 1 destinatário (FOB), 2 terceiros, 3 próprio remetente, 4 próprio destinatário, 9 sem frete.
MOD_FRETE = frozenset({"0", "1", "2", "3", "4", "9"})

# The CSOSN, ICMS CST and PIS/COFINS CST handled are the ones a tax rule may name, with their groups
# (taxed ICMS; PIS/COFINS by rate, not taxed, other operations): `chalicelib.brazil.taxes`.

# CST do IBS/CBS handled (NT 2025.002-RTC, Informe Técnico 2025.002 tables): 000 tributação integral, the one
# written with the full gIBSCBS group and no reduction, deferral or credit sub-groups. Its cClassTrib starts
# with the CST (000001 is the general case, "situações tributadas integralmente pelo IBS e CBS").
IBSCBS_CST_SUPPORTED = frozenset({"000"})


class InvalidInvoiceError(AppError):
    """The invoice input breaks an NF-e rule; `errors` names every bad field."""

    status, code, title = 422, "invalid_invoice", "Invalid invoice"


@dataclass(frozen=True)
class Address:
    """A Brazilian address as the NF-e wants it (IBGE municipality code, UF, CEP with 8 digits)."""

    street: str
    number: str
    district: str
    city_code: str
    city_name: str
    uf: str
    cep: str
    complement: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Issuer:
    """The emitter (the tenant): CNPJ, IE and tax regime decide CRT and which ICMS group applies."""

    cnpj: str
    ie: str
    legal_name: str
    trade_name: str | None
    address: Address
    tax_regime: str  # a key of CRT_BY_TAX_REGIME

    @property
    def crt(self) -> str:
        return CRT_BY_TAX_REGIME[self.tax_regime]

    @property
    def is_simples(self) -> bool:
        """CRT 1 and 4 use CSOSN; CRT 2 (excesso de sublimite) and 3 use CST."""
        return self.crt in ("1", "4")


@dataclass(frozen=True)
class Recipient:
    """The customer: `document` is 11 digits (CPF) or 14 (CNPJ)."""

    document: str
    name: str
    address: Address
    email: str | None = None
    ind_ie_dest: str = "9"
    ie: str | None = None

    @property
    def is_company(self) -> bool:
        return len(self.document) == 14

    @property
    def is_final_consumer(self) -> bool:
        """indFinal 1: a person, or a company that is not an ICMS taxpayer."""
        return not self.is_company or self.ind_ie_dest == "9"


@dataclass(frozen=True)
class Item:
    """One line: `cfop` is the internal form (5xxx); the builder turns it into 6xxx for interstate sales."""

    sku: str
    name: str
    ncm: str
    cfop: str
    unit: str
    quantity: int
    unit_price_cents: int
    gtin: str = "SEM GTIN"
    origin: int = 0
    cest: str | None = None
    tax: TaxProfile | None = None  # the product's own taxation; None: the invoice's

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents


@dataclass(frozen=True)
class IbsCbsProfile:
    """IBS/CBS of every line (NT 2025.002-RTC group UB, `imposto/IBSCBS`): CST, cClassTrib and the rates as
    `Decimal` percentages ("0.9" means 0.9 %). The defaults are the 2026 test year: CST 000 / cClassTrib 000001,
    CBS 0.9 % (LC 214/2025 art. 346), IBS 0.1 % for the state (pIBSUF, art. 343) and 0 % for the municipality
    (art. 343 fixes only the state share in 2026; the 0.05 % + 0.05 % split starts in 2027, art. 344)."""

    cst: str = "000"
    c_class_trib: str = "000001"
    p_cbs: Decimal = Decimal("0.9")
    p_ibs_uf: Decimal = Decimal("0.1")
    p_ibs_mun: Decimal = Decimal(0)


# The 2026 test-year profile (the defaults of IbsCbsProfile).
IBSCBS_2026 = IbsCbsProfile()


def default_ibscbs(tax_regime: str) -> IbsCbsProfile | None:
    """The IBS/CBS profile a tenant gets by default: the 2026 rates for regime normal (CRT 3), which must fill the
    groups from 2026-01-01; None for Simples Nacional, excesso de sublimite and MEI (CRT 1, 2, 4), which are not
    required to before 2027 (LC 214/2025 art. 348; NT 2025.002-RTC v1.10/v1.20) and opt in with an explicit profile."""
    return IBSCBS_2026 if tax_regime == "regime_normal" else None


@dataclass(frozen=True)
class TaxProfile:
    """How every line is taxed.

    Simples Nacional (CRT 1/4): `csosn` (101 needs `p_cred_sn`), PIS/COFINS usually CST 07, 49 or 99.
    Regime normal (CRT 2/3): ICMS CST 00 at `icms_rate` inside the state and `icms_interstate_rate`
    (4, 7 or 12) across states; `icms_dest_rate` is the destination state's internal rate, needed for the
    DIFAL group (ICMSUFDest, EC 87/2015) on interstate sales to non-taxpayers.
    PIS/COFINS CST 01 with `pis_rate`/`cofins_rate` (e.g. 1.65 / 7.6).
    `ibscbs`: the IBS/CBS of the tax reform, None to leave the groups out (see `default_ibscbs`).
    """

    csosn: str | None = "102"
    p_cred_sn: Decimal | None = None
    icms_cst: str | None = None
    icms_rate: Decimal = Decimal(0)
    icms_interstate_rate: Decimal | None = None
    icms_dest_rate: Decimal | None = None
    pis_cst: str = "49"
    pis_rate: Decimal = Decimal(0)
    cofins_cst: str = "49"
    cofins_rate: Decimal = Decimal(0)
    ibscbs: IbsCbsProfile | None = None


@dataclass(frozen=True)
class Installment:
    """One duplicata: nDup is its 1-based position as "001", "002", ..."""

    due_date: date
    amount_cents: int


@dataclass(frozen=True)
class Payment:
    """How the customer pays: a method (boleto, pix, card_link, cash) and, when in parts, the installments."""

    method: str
    installments: tuple[Installment, ...] = ()

    @property
    def tpag(self) -> str:
        return TPAG_BY_METHOD[self.method]


@dataclass(frozen=True)
class Invoice:
    """Everything an NF-e needs. `serie`/`nnf` come from the numbering reservation; `cnf` from
    `chave.generate_cnf` (stored with the reservation, so a retry rebuilds the same chave)."""

    issuer: Issuer
    recipient: Recipient
    items: tuple[Item, ...]
    tax: TaxProfile
    payment: Payment
    serie: int
    nnf: int
    cnf: str
    issued_at: datetime
    nat_op: str = "VENDA DE MERCADORIA"
    tp_amb: str = TP_AMB_HOMOLOGACAO
    shipping_cents: int = 0
    mod_frete: str | None = None  # None: 0 (CIF) when shipping is charged, else 9
    ind_pres: str = "2"
    additional_info: str | None = None
    tp_emis: str = "1"

    @property
    def is_interstate(self) -> bool:
        return self.issuer.address.uf != self.recipient.address.uf

    def tax_of(self, item: Item) -> TaxProfile:
        """The item's own taxation (the product's tax profile) or, without one, the invoice's."""
        return item.tax if item.tax is not None else self.tax


def check_invoice(inv: Invoice) -> list[FieldError]:
    """Every rule the input breaks (collect, then the caller raises once)."""
    errors: list[FieldError] = []

    def bad(path: str, message: str) -> None:
        errors.append(FieldError(path, message))

    if not is_valid_cnpj(inv.issuer.cnpj):
        bad("issuer.cnpj", "must be a valid CNPJ (14 digits, check digits right)")
    if inv.issuer.tax_regime not in CRT_BY_TAX_REGIME:
        bad("issuer.tax_regime", f"must be one of {sorted(CRT_BY_TAX_REGIME)}")
    for who, addr in (("issuer", inv.issuer.address), ("recipient", inv.recipient.address)):
        if addr.uf not in UF_CODES:
            bad(f"{who}.address.uf", "is not a Brazilian UF")
        if not (addr.city_code.isdigit() and len(addr.city_code) == 7):
            bad(f"{who}.address.city_code", "must be the 7-digit IBGE code")
        elif UF_CODES.get(addr.uf) != addr.city_code[:2]:
            bad(f"{who}.address.city_code", "is not a municipality of the address's UF")
        if not (addr.cep.isdigit() and len(addr.cep) == 8):
            bad(f"{who}.address.cep", "must be 8 digits")
    rec = inv.recipient
    if not (is_valid_cpf(rec.document) or is_valid_cnpj(rec.document)):
        bad("recipient.document", "must be a valid CPF (11 digits) or CNPJ (14 digits)")
    if rec.ind_ie_dest not in IND_IE_DEST:
        bad("recipient.ind_ie_dest", "must be 1, 2 or 9")
    elif rec.ind_ie_dest == "1" and not rec.ie:
        bad("recipient.ie", "is required when the recipient is an ICMS taxpayer (indIEDest 1)")
    elif rec.ind_ie_dest != "9" and not rec.is_company:
        bad("recipient.ind_ie_dest", "must be 9 (não contribuinte) for a CPF")
    if not inv.items:
        bad("items", "needs at least one item")
    if len(inv.items) > 990:
        bad("items", "an NF-e holds at most 990 items")
    for i, item in enumerate(inv.items):
        if item.quantity <= 0:
            bad(f"items.{i}.quantity", "must be positive")
        if item.unit_price_cents <= 0:
            bad(f"items.{i}.unit_price_cents", "must be positive")
        if not (item.cfop.isdigit() and len(item.cfop) == 4 and item.cfop[0] in "56"):
            bad(f"items.{i}.cfop", "must be an outbound CFOP (5xxx or 6xxx)")
        if not (item.ncm.isdigit() and len(item.ncm) in (2, 8)):
            bad(f"items.{i}.ncm", "must be 8 digits")
        if not 0 <= item.origin <= 8:
            bad(f"items.{i}.origin", "must be 0..8")
        if item.gtin != "SEM GTIN" and not (item.gtin.isdigit() and len(item.gtin) in (8, 12, 13, 14)):
            bad(f"items.{i}.gtin", "must be a GTIN-8/12/13/14 or 'SEM GTIN'")
    if any(item.tax is None for item in inv.items):  # the invoice's profile taxes some line
        _check_tax("tax", inv.tax, inv, bad)
    for i, item in enumerate(inv.items):
        if item.tax is not None:
            _check_tax(f"items.{i}.tax", item.tax, inv, bad)
    if not 0 <= inv.serie <= 999:
        bad("serie", "must be 0..999")
    if not 1 <= inv.nnf <= 999_999_999:
        bad("nnf", "must be 1..999999999")
    if not (inv.cnf.isdigit() and len(inv.cnf) == 8):
        bad("cnf", "must be 8 digits")
    if inv.issued_at.tzinfo is None or inv.issued_at.utcoffset() is None:
        bad("issued_at", "must carry its UTC offset")
    if inv.tp_amb not in (TP_AMB_PRODUCAO, TP_AMB_HOMOLOGACAO):
        bad("tp_amb", "must be 1 (produção) or 2 (homologação)")
    if inv.shipping_cents < 0:
        bad("shipping_cents", "must not be negative")
    if inv.mod_frete is not None and inv.mod_frete not in MOD_FRETE:
        bad("mod_frete", "must be 0, 1, 2, 3, 4 or 9")
    elif inv.mod_frete == "9" and inv.shipping_cents:
        bad("mod_frete", "cannot be 9 (sem frete) when shipping is charged")
    if inv.ind_pres not in IND_PRES:
        bad("ind_pres", "must be a valid indPres")
    if inv.payment.method not in TPAG_BY_METHOD:
        bad("payment.method", f"must be one of {sorted(TPAG_BY_METHOD)}")
    if inv.payment.installments:
        if len(inv.payment.installments) > 120:
            bad("payment.installments", "at most 120 duplicatas")
        if any(p.amount_cents <= 0 for p in inv.payment.installments):
            bad("payment.installments", "every installment must be positive")
        if inv.issued_at.tzinfo is not None and any(p.due_date < inv.issued_at.date()
                                                    for p in inv.payment.installments):
            bad("payment.installments", "a due date cannot precede the issue date")
        if not errors:
            total = sum(i.total_cents for i in inv.items) + inv.shipping_cents
            if sum(p.amount_cents for p in inv.payment.installments) != total:
                bad("payment.installments", "installments must add up to the invoice total (rejeição 872)")
    return errors


def _check_tax(prefix: str, tax: TaxProfile, inv: Invoice, bad: Callable[[str, str], None]) -> None:
    """The rules one tax profile must follow for this issuer and recipient (`prefix` names it in errors, with
    the field names of the API's tax rules, `brazil.taxes.TaxRules`)."""
    if inv.issuer.tax_regime in CRT_BY_TAX_REGIME:
        if inv.issuer.is_simples:
            if tax.csosn not in CSOSNS:
                bad(f"{prefix}.csosn", f"must be one of {sorted(CSOSNS)} for Simples Nacional")
            if tax.csosn == "101" and tax.p_cred_sn is None:
                bad(f"{prefix}.simples_credit_percent", "is required with CSOSN 101")
            if tax.csosn == "101" and inv.recipient.is_final_consumer:
                bad(f"{prefix}.csosn", "CSOSN 101 (credit) cannot go to a non-taxpayer (rejeição 600)")
        else:
            if tax.icms_cst not in ICMS_CSTS:
                bad(f"{prefix}.icms_cst", f"must be one of {sorted(ICMS_CSTS)} for regime normal")
            taxed = inv.is_interstate and tax.icms_cst in ICMS_CST_TAXED
            if taxed and tax.icms_interstate_rate not in (Decimal(4), Decimal(7), Decimal(12)):
                bad(f"{prefix}.icms_interstate_percent", "must be 4, 7 or 12 on an interstate sale")
            if taxed and inv.recipient.ind_ie_dest == "9" and tax.icms_dest_rate is None:
                bad(f"{prefix}.icms_destination_percent",
                    "is required for the DIFAL of an interstate sale to a non-taxpayer (rejeição 694)")
    for name, cst in (("pis_cst", tax.pis_cst), ("cofins_cst", tax.cofins_cst)):
        if cst not in PIS_COFINS_CSTS:
            bad(f"{prefix}.{name}", "is not a supported PIS/COFINS CST")
    if tax.ibscbs is not None:
        ibscbs = tax.ibscbs
        if ibscbs.cst not in IBSCBS_CST_SUPPORTED:
            bad(f"{prefix}.ibscbs.cst", f"must be one of {sorted(IBSCBS_CST_SUPPORTED)}")
        if not (ibscbs.c_class_trib.isdigit() and len(ibscbs.c_class_trib) == 6
                and ibscbs.c_class_trib.startswith(ibscbs.cst)):
            bad(f"{prefix}.ibscbs.c_class_trib", "must be 6 digits starting with the CST (e.g. 000001)")
        for name in ("p_cbs", "p_ibs_uf", "p_ibs_mun"):
            pct = getattr(ibscbs, name)
            if not (isinstance(pct, Decimal) and pct.is_finite() and 0 <= pct <= 100):
                bad(f"{prefix}.ibscbs.{name}", "must be a Decimal percentage from 0 to 100")
