"""Distribuição DF-e (NFeDistribuicaoDFe, Ambiente Nacional): what the fiscal authority port answers, the
documents built and read with nfelib's nfe_dist_dfe bindings, and the local authority's box of documents
addressed to each CNPJ root, with the consumption rules of NT 2014.002 (v1.12).

The local box: `POST /v1/sandbox/inbound-invoices` deposits a supplier's NF-e; the recipient first gets its
summary (`resNFe`) and, once it sends ciência (210210) or confirmação (210200), the full `procNFe` under a
new NSU. A query after 137 (nothing new) or after `ultNSU == maxNSU`, within the hour, is 656 and blocks the
root for an hour; a query while blocked restarts the hour, as at the Ambiente Nacional.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lxml import etree
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError

from chalicelib.invoicing import codes
from chalicelib.platform.dynamo import BaseRecord
from chalicelib.platform.keys import Key, part

NFE_NS = "http://www.portalfiscal.inf.br/nfe"
NOTHING_NEW, FOUND, MISUSE = codes.NENHUM_DOCUMENTO, codes.DOCUMENTO_LOCALIZADO, codes.CONSUMO_INDEVIDO
TEXTS = {NOTHING_NEW: codes.TEXTS[NOTHING_NEW], FOUND: codes.TEXTS[FOUND], MISUSE: codes.rejection(MISUSE)}
PAGE = 50
SINGLE_PER_HOUR = 20  # consNSU / consChNFe queries an hour


def _quiet() -> timedelta:
    from chalicelib.platform.config import get_settings

    return timedelta(seconds=get_settings().dfe_wait_seconds)


@dataclass(frozen=True)
class DistributedDocument:
    nsu: str
    schema: str  # resNFe_v1.01.xsd, procNFe_v4.00.xsd, resEvento_v1.01.xsd, procEventoNFe_v1.00.xsd
    xml: bytes

    @property
    def kind(self) -> str:
        return self.schema.split("_", 1)[0]


@dataclass(frozen=True)
class Distribution:
    cstat: str
    reason: str
    last_nsu: str
    max_nsu: str
    received_at: datetime
    documents: list[DistributedDocument] = field(default_factory=list)


def nsu(value: int) -> str:
    return f"{value:015d}"


def summary_of(nfe_proc: bytes) -> bytes:
    """The `resNFe` (v1.01) a recipient gets of an authorized NF-e before its manifestation, built with
    nfelib's binding from the nfeProc's own fields."""
    from nfelib.nfe_dist_dfe.bindings import v1_0 as D
    from xsdata.formats.dataclass.serializers import XmlSerializer
    from xsdata.formats.dataclass.serializers.config import SerializerConfig

    root = etree.fromstring(nfe_proc)
    n = {"n": NFE_NS}
    inf = root.find("n:NFe/n:infNFe", n)
    prot = root.find("n:protNFe/n:infProt", n)
    if inf is None or prot is None:
        raise ValueError("not an nfeProc")
    emit = inf.find("n:emit", n)
    assert emit is not None
    summary = D.ResNfe(
        chNFe=inf.get("Id", "")[3:], CNPJ=emit.findtext("n:CNPJ", namespaces=n),
        CPF=emit.findtext("n:CPF", namespaces=n), xNome=emit.findtext("n:xNome", namespaces=n),
        IE=emit.findtext("n:IE", namespaces=n) or "", dhEmi=inf.findtext("n:ide/n:dhEmi", namespaces=n),
        tpNF=D.ResNfeTpNf(inf.findtext("n:ide/n:tpNF", namespaces=n) or "1"),
        vNF=inf.findtext("n:total/n:ICMSTot/n:vNF", namespaces=n),
        digVal=(prot.findtext("n:digVal", namespaces=n) or "").encode(),
        dhRecbto=prot.findtext("n:dhRecbto", namespaces=n), nProt=prot.findtext("n:nProt", namespaces=n),
        cSitNFe=D.ResNfeCSitNfe.VALUE_1, versao=D.TverResNfe.VALUE_1_01)
    return XmlSerializer(config=SerializerConfig(xml_declaration=False)).render(summary).encode()


def read_summary(xml: bytes) -> dict[str, str]:
    """What a `resNFe` says: chNFe, CNPJ (or CPF), xNome, IE, dhEmi, vNF, nProt, cSitNFe."""
    root = etree.fromstring(xml)
    return {child.tag.split("}")[-1]: (child.text or "") for child in root}


# The local authority's box
class BoxRecord(BaseRecord):
    schema = UnicodeAttribute(null=True)
    xml = UnicodeAttribute(null=True)
    access_key = UnicodeAttribute(null=True)
    max_nsu = NumberAttribute(null=True)
    quiet_until = UnicodeAttribute(null=True)
    blocked_until = UnicodeAttribute(null=True)
    released = UnicodeAttribute(null=True)
    single_hour = UnicodeAttribute(null=True)  # consNSU: the hour being counted, and how many were asked in it
    single_count = NumberAttribute(null=True)


def _box(root: str, sort: str) -> Key:
    return Key(f"LOCALSEFAZ#DFE#{part(root)}", sort)


class LocalBox:
    """The Ambiente Nacional's distribution, locally (one NSU sequence per CNPJ root)."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def _next_nsu(self, root: str) -> int:
        counter = BoxRecord.at(_box(root, "MAX"), kind="local_dfe")
        counter.update(actions=[BoxRecord.max_nsu.add(1)])  # atomic; the record takes the new value
        return int(counter.max_nsu or 0)

    def _put(self, root: str, schema: str, xml: bytes, access_key: str) -> str:
        number = nsu(self._next_nsu(root))
        BoxRecord.at(_box(root, f"NSU#{number}"), kind="local_dfe", schema=schema, xml=xml.decode("utf-8"),
                     access_key=access_key).save()
        return number

    def deposit(self, recipient_root: str, access_key: str, nfe_proc: bytes) -> str:
        """A supplier's authorized NF-e for the root: its summary now, the full document kept for later."""
        try:
            BoxRecord.at(_box(recipient_root, f"FULL#{part(access_key)}"), kind="local_dfe",
                         xml=nfe_proc.decode("utf-8"), access_key=access_key).save(
                condition=BoxRecord.pk.does_not_exist())
        except PutError:
            return ""  # deposited before: its summary is in the box already
        return self._put(recipient_root, "resNFe_v1.01.xsd", summary_of(nfe_proc), access_key)

    def release(self, recipient_root: str, access_key: str) -> None:
        """After ciência or confirmação: the full procNFe under a new NSU (once)."""
        try:
            full = BoxRecord.get(_box(recipient_root, f"FULL#{part(access_key)}").pk,
                                 _box(recipient_root, f"FULL#{part(access_key)}").sk, consistent_read=True)
        except BoxRecord.DoesNotExist:
            return
        try:
            full.update(actions=[BoxRecord.released.set(self._now.isoformat())],
                        condition=BoxRecord.released.does_not_exist())
        except UpdateError:  # released before
            return
        self._put(recipient_root, "procNFe_v4.00.xsd", (full.xml or "").encode("utf-8"), access_key)

    def distribute(self, recipient_root: str, last_nsu: str) -> Distribution:
        now = self._now
        try:
            state = BoxRecord.get(_box(recipient_root, "MAX").pk, "MAX", consistent_read=True)
        except BoxRecord.DoesNotExist:
            state = BoxRecord.at(_box(recipient_root, "MAX"), kind="local_dfe", max_nsu=0)
        maximum = nsu(int(state.max_nsu or 0))
        for limit in (state.blocked_until, state.quiet_until):
            if limit and now < datetime.fromisoformat(limit):
                state.update(actions=[BoxRecord.blocked_until.set((now + _quiet()).isoformat())])
                return Distribution(MISUSE, TEXTS[MISUSE], last_nsu, maximum, now)
        rows = list(BoxRecord.query(_box(recipient_root, "").pk, BoxRecord.sk.between(
            f"NSU#{nsu(int(last_nsu or 0) + 1)}", f"NSU#{'9' * 15}"), limit=PAGE, consistent_read=True))
        documents = [DistributedDocument(r.sk.removeprefix("NSU#"), str(r.schema), (r.xml or "").encode()) for r in rows]
        last = documents[-1].nsu if documents else maximum
        if not documents or last == maximum:
            state.update(actions=[BoxRecord.quiet_until.set((now + _quiet()).isoformat())])
        if not documents:
            return Distribution(NOTHING_NEW, TEXTS[NOTHING_NEW], maximum, maximum, now)
        return Distribution(FOUND, TEXTS[FOUND], last, maximum, now, documents)

    def one(self, recipient_root: str, wanted: str) -> Distribution:
        """consNSU: the document at one NSU (137 when there is none for this root); the 21st in an hour is 656."""
        now = self._now
        hour = now.strftime("%Y-%m-%dT%H")
        counter = BoxRecord.at(_box(recipient_root, "SINGLE"), kind="local_dfe")
        try:
            counter.update(actions=[BoxRecord.single_count.add(1)], condition=BoxRecord.single_hour == hour)
        except UpdateError:
            counter = BoxRecord.at(_box(recipient_root, "SINGLE"), kind="local_dfe", single_hour=hour, single_count=1)
            counter.save()
        try:
            state = BoxRecord.get(_box(recipient_root, "MAX").pk, "MAX", consistent_read=True)
            maximum = nsu(int(state.max_nsu or 0))
        except BoxRecord.DoesNotExist:
            maximum = nsu(0)
        if int(counter.single_count or 0) > SINGLE_PER_HOUR:
            return Distribution(MISUSE, TEXTS[MISUSE], wanted, maximum, now)
        key = _box(recipient_root, f"NSU#{nsu(int(wanted or 0))}")
        try:
            row = BoxRecord.get(key.pk, key.sk, consistent_read=True)
        except BoxRecord.DoesNotExist:
            return Distribution(NOTHING_NEW, TEXTS[NOTHING_NEW], wanted, maximum, now)
        return Distribution(FOUND, TEXTS[FOUND], wanted, maximum, now,
                            [DistributedDocument(row.sk.removeprefix("NSU#"), str(row.schema), (row.xml or "").encode())])
