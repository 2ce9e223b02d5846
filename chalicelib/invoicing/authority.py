"""The fiscal authority port, and the local authority that stands in for SEFAZ.

The local authority is a real implementation of the port, not a test double: it checks what
SEFAZ checks (schema, signature, access key, environment, homologação texts, emitter vs
certificate, numbering and duplicates) and answers with SEFAZ's cStat codes and texts. It
keeps its own registry of numbers per CNPJ, modelo and série, as SEFAZ's database does.
It accepts the self-signed test certificates that new tenants get; the SEFAZ adapter does not.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from lxml import etree
from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.invoicing import codes, keys
from chalicelib.invoicing.chave import build_chave, is_valid_chave, parse_chave
from chalicelib.invoicing.dfe import NFE_NS, Distribution, LocalBox
from chalicelib.invoicing.nfe_input import HOMOLOGACAO_DEST_XNOME
from chalicelib.invoicing.proc import build_nfe_proc, build_prot_nfe, protocol_for
from chalicelib.invoicing.signing import SignatureVerificationError, verify_signature
from chalicelib.invoicing.xsd import validate_nfe
from chalicelib.platform.clock import Clock
from chalicelib.platform.dynamo import BaseRecord
from chalicelib.platform.errors import ServiceUnavailableError

NS = "{http://www.portalfiscal.inf.br/nfe}"
VER_APLIC = "RETAGUARDA-LOCAL-1.0"
TP_AMB = {"producao": "1", "homologacao": "2"}


class AuthorityUnavailableError(ServiceUnavailableError):
    """The fiscal authority did not answer; the emission stays pending and is retried."""


@dataclass(frozen=True)
class AuthorityAnswer:
    cstat: str
    reason: str
    received_at: datetime
    protocol: str | None = None
    prot_nfe: bytes | None = None


class FiscalAuthority(Protocol):
    """Port: what the platform asks of SEFAZ (NFeAutorizacao4, NFeRecepcaoEvento4, NfeInutilizacao4)."""

    def authorize(self, signed_nfe: bytes, environment: str) -> AuthorityAnswer: ...

    def register_event(self, access_key: str, event_type: str, sequence: int, text: str,
                       environment: str, protocol: str | None = None) -> AuthorityAnswer: ...

    def void_numbers(self, cnpj: str, series: int, first: int, last: int, reason: str,
                     environment: str) -> AuthorityAnswer: ...

    def consult(self, signed_nfe: bytes, environment: str) -> AuthorityAnswer | None:
        """NfeConsultaProtocolo: the authorization of an NF-e already sent (after a 204), or None."""
        ...

    def manifest(self, recipient_cnpj: str, access_key: str, event_type: str, justification: str | None,
                 environment: str) -> AuthorityAnswer:
        """The recipient's MD-e event (210200, 210210, 210220, 210240) on a supplier's NF-e, to the Ambiente
        Nacional: 135 registered, 573 already registered (a repeat), other codes a rejection."""
        ...

    def distribute(self, recipient_cnpj: str, environment: str, last_nsu: str) -> Distribution:
        """NFeDistribuicaoDFe `distNSU`: the documents addressed to the CNPJ's root after `last_nsu` (138),
        none (137) or consumo indevido (656), with the answer's ultNSU and maxNSU."""
        ...

    def distribute_one(self, recipient_cnpj: str, environment: str, nsu: str) -> Distribution:
        """NFeDistribuicaoDFe `consNSU`: the one document at `nsu` (a gap in the sequence), at most 20 an hour."""
        ...


class LocalAuthorityRecord(BaseRecord):
    access_key = UnicodeAttribute()
    state = UnicodeAttribute()  # authorized | cancelled | voided
    protocol = UnicodeAttribute(null=True)
    authorized_at = UnicodeAttribute(null=True)
    events = UnicodeAttribute(null=True)  # space-separated "<tpEvento>:<seq>"


class LocalManifestRecord(BaseRecord):
    events = UnicodeAttribute(null=True)  # space-separated tpEvento


def _reject(cstat: str, at: datetime, detail: str = "") -> AuthorityAnswer:
    return AuthorityAnswer(cstat=cstat, reason=codes.rejection(cstat, detail), received_at=at)


class LocalAuthority:
    """SEFAZ's rules, locally, with a registry in the table under `LOCALSEFAZ#…`."""

    def __init__(self, clock: Clock, accept_test_certificates: bool = True) -> None:
        self._clock = clock
        self._accept_test = accept_test_certificates

    def _now(self) -> datetime:
        return self._clock.now().replace(microsecond=0)

    def authorize(self, signed_nfe: bytes, environment: str) -> AuthorityAnswer:
        now = self._now()
        try:
            root = etree.fromstring(signed_nfe)
        except etree.XMLSyntaxError as exc:
            return _reject(codes.SCHEMA, now, f"({exc})")
        if root.prefix:
            return _reject(codes.PREFIXO_DE_NAMESPACE, now)
        errors = validate_nfe(root)
        if errors:
            return _reject(codes.SCHEMA, now, f"({errors[0]})")
        inf = root.find(f"{NS}infNFe")
        assert inf is not None
        ide = inf.find(f"{NS}ide")
        emit_cnpj = inf.findtext(f"{NS}emit/{NS}CNPJ") or ""
        try:
            subject = verify_signature(signed_nfe, now=now)
        except SignatureVerificationError:
            return _reject(codes.ASSINATURA, now)
        if emit_cnpj[:8] not in subject:
            return _reject(codes.CNPJ_DO_CERTIFICADO, now)
        tp_amb = ide.findtext(f"{NS}tpAmb")
        if tp_amb != TP_AMB[environment]:
            return _reject(codes.AMBIENTE_DIVERGE, now)
        access_key = (inf.get("Id") or "")[3:]
        if not is_valid_chave(access_key) or access_key != self._expected_key(ide, emit_cnpj):
            return _reject(codes.CHAVE_NAO_CORRESPONDE, now)
        if tp_amb == "2" and inf.findtext(f"{NS}dest/{NS}xNome") != HOMOLOGACAO_DEST_XNOME:
            return _reject(codes.HOMOLOGACAO_RAZAO_SOCIAL, now, HOMOLOGACAO_DEST_XNOME)
        series, number = int(ide.findtext(f"{NS}serie") or 0), int(ide.findtext(f"{NS}nNF") or 0)
        key = keys.local_authority_number(emit_cnpj, series, number)
        protocol = f"1{access_key[:2]}{now:%y}{secrets.randbelow(10**10):010d}"
        record = LocalAuthorityRecord.at(key, kind="local_authority", access_key=access_key, state="authorized",
                                         protocol=protocol, authorized_at=now.isoformat())
        try:
            record.save(condition=LocalAuthorityRecord.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise AuthorityUnavailableError("The local authority's registry did not answer.") from exc
            existing = LocalAuthorityRecord.get(key.pk, key.sk, consistent_read=True)
            if existing.state == "voided":
                return _reject(codes.INUTILIZADA, now)
            if existing.access_key != access_key:
                return _reject(codes.DUPLICIDADE_COM_CHAVE_DIFERENTE, now,
                               f"[chNFe: {existing.access_key}][nProt:{existing.protocol}]")
            return _reject(codes.DUPLICIDADE, now, f"[nProt:{existing.protocol}]")
        prot = build_prot_nfe(protocol_for(signed_nfe, nprot=protocol, received_at=now, ver_aplic=VER_APLIC))
        return AuthorityAnswer(codes.AUTORIZADO, codes.TEXTS[codes.AUTORIZADO], now, protocol, prot)

    @staticmethod
    def _expected_key(ide: etree._Element, emit_cnpj: str) -> str:
        """The key the `ide` fields make, with its DV; it must equal infNFe/@Id and ide/cDV."""
        issued = ide.findtext(f"{NS}dhEmi") or ""
        try:
            key = build_chave(cuf=ide.findtext(f"{NS}cUF") or "", aamm=f"{issued[2:4]}{issued[5:7]}", cnpj=emit_cnpj,
                              mod=ide.findtext(f"{NS}mod") or "", serie=int(ide.findtext(f"{NS}serie") or 0),
                              nnf=int(ide.findtext(f"{NS}nNF") or 0), tp_emis=ide.findtext(f"{NS}tpEmis") or "",
                              cnf=ide.findtext(f"{NS}cNF") or "")
        except ValueError:
            return ""
        return key if key[-1] == ide.findtext(f"{NS}cDV") else ""

    def consult(self, signed_nfe: bytes, environment: str) -> AuthorityAnswer | None:
        now = self._now()
        inf = etree.fromstring(signed_nfe).find(f"{NS}infNFe")
        access_key = (inf.get("Id") if inf is not None else "") or ""
        parsed = parse_chave(access_key[3:])
        key = keys.local_authority_number(parsed.cnpj, int(parsed.serie), int(parsed.nnf))
        try:
            record = LocalAuthorityRecord.get(key.pk, key.sk, consistent_read=True)
        except LocalAuthorityRecord.DoesNotExist:
            return None
        if record.access_key != access_key[3:] or record.state != "authorized" or not record.protocol:
            return None
        authorized_at = datetime.fromisoformat(record.authorized_at or now.isoformat())
        prot = build_prot_nfe(protocol_for(signed_nfe, nprot=record.protocol, received_at=authorized_at,
                                           ver_aplic=VER_APLIC))
        return AuthorityAnswer(codes.AUTORIZADO, codes.TEXTS[codes.AUTORIZADO], authorized_at, record.protocol, prot)

    def register_event(self, access_key: str, event_type: str, sequence: int, text: str,
                       environment: str, protocol: str | None = None) -> AuthorityAnswer:
        """`protocol` (the NF-e's nProt, which SEFAZ needs to cancel) is not needed here: the registry has it."""
        now = self._now()
        parsed = parse_chave(access_key)
        key = keys.local_authority_number(parsed.cnpj, int(parsed.serie), int(parsed.nnf))
        try:
            record = LocalAuthorityRecord.get(key.pk, key.sk, consistent_read=True)
        except LocalAuthorityRecord.DoesNotExist:
            return _reject(codes.NAO_CONSTA, now)
        if record.access_key != access_key:
            return _reject(codes.CHAVE_DIFERE, now)
        if record.state == "cancelled":
            return _reject(codes.JA_CANCELADA, now)
        tag = f"{event_type}:{sequence}"
        seen = (record.events or "").split()
        if tag in seen:
            return _reject(codes.DUPLICIDADE_DE_EVENTO, now)
        if event_type == codes.EVENT_CANCEL:
            authorized = datetime.fromisoformat(record.authorized_at or now.isoformat())
            if (now - authorized).total_seconds() > 24 * 3600:
                return _reject(codes.PRAZO_DE_CANCELAMENTO, now)
        protocol = f"1{access_key[:2]}{now:%y}{secrets.randbelow(10**10):010d}"
        actions: list[Action] = [LocalAuthorityRecord.events.set(" ".join([*seen, tag]))]
        if event_type == codes.EVENT_CANCEL:
            actions.append(LocalAuthorityRecord.state.set("cancelled"))
        # Conditional on the events read: of two events with the same sequence sent at once, one is registered
        # and the other is a duplicate, as at SEFAZ.
        unchanged = (LocalAuthorityRecord.events == record.events) if record.events else \
            LocalAuthorityRecord.events.does_not_exist()
        try:
            record.update(actions=actions, condition=(LocalAuthorityRecord.state == "authorized") & unchanged)
        except UpdateError:
            record.refresh(consistent_read=True)
            if record.state == "cancelled":
                return _reject(codes.JA_CANCELADA, now)
            return _reject(codes.DUPLICIDADE_DE_EVENTO, now)
        return AuthorityAnswer(codes.EVENTO_VINCULADO, codes.TEXTS[codes.EVENTO_VINCULADO], now, protocol)

    def manifest(self, recipient_cnpj: str, access_key: str, event_type: str, justification: str | None,
                 environment: str) -> AuthorityAnswer:
        """The Ambiente Nacional's MD-e rules, locally: a valid key and event; the same event twice is 573
        (conditional on the events read, so two at once register one)."""
        now = self._now()
        if event_type not in codes.MDE_EVENTS or not is_valid_chave(access_key):
            return _reject(codes.SCHEMA, now, "tpEvento ou chNFe inválido")
        if event_type == codes.MDE_NOT_PERFORMED and not 15 <= len((justification or "").strip()) <= 255:
            return _reject(codes.SCHEMA, now, "xJust de 15 a 255 caracteres")
        key = keys.local_authority_manifest(recipient_cnpj, access_key)
        try:
            record = LocalManifestRecord.get(key.pk, key.sk, consistent_read=True)
            seen = (record.events or "").split()
        except LocalManifestRecord.DoesNotExist:
            record, seen = LocalManifestRecord.at(key, kind="local_mde", events=""), []
        if event_type in seen:
            return _reject(codes.DUPLICIDADE_DE_EVENTO, now)
        condition = (LocalManifestRecord.events == record.events) if seen else LocalManifestRecord.pk.does_not_exist()
        try:
            LocalManifestRecord.at(key, kind="local_mde", events=" ".join([*seen, event_type])).save(condition=condition)
        except PutError:
            return _reject(codes.DUPLICIDADE_DE_EVENTO, now)
        if event_type in (codes.MDE_AWARENESS, codes.MDE_CONFIRMATION):  # the full document is the recipient's now
            LocalBox(now).release(recipient_cnpj[:8], access_key)
        protocol = f"9{now:%y}{secrets.randbelow(10**12):012d}"
        return AuthorityAnswer(codes.EVENTO_VINCULADO, codes.TEXTS[codes.EVENTO_VINCULADO], now, protocol)

    def distribute(self, recipient_cnpj: str, environment: str, last_nsu: str) -> Distribution:
        return LocalBox(self._now()).distribute(recipient_cnpj[:8], last_nsu)

    def distribute_one(self, recipient_cnpj: str, environment: str, nsu: str) -> Distribution:
        return LocalBox(self._now()).one(recipient_cnpj[:8], nsu)

    def deposit(self, recipient_cnpj: str, xml: bytes) -> tuple[str, str]:
        """The sandbox's supplier NF-e (`NFe`, authorized here, or `nfeProc`) put in the recipient's box:
        (access key, the summary's NSU; "" when it was deposited before)."""
        root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
        if root.tag == f"{{{NFE_NS}}}NFe":
            now = self._now()
            protocol = f"1{now:%y}{secrets.randbelow(10**12):012d}"
            xml = build_nfe_proc(xml, build_prot_nfe(protocol_for(xml, nprot=protocol, received_at=now,
                                                                  ver_aplic=VER_APLIC)))
            root = etree.fromstring(xml)
        inf = root.find(f"{{{NFE_NS}}}NFe/{{{NFE_NS}}}infNFe")
        if inf is None:
            raise ValueError("not an NFe or nfeProc")
        access_key = inf.get("Id", "")[3:]
        return access_key, LocalBox(self._now()).deposit(recipient_cnpj[:8], access_key, xml)

    def void_numbers(self, cnpj: str, series: int, first: int, last: int, reason: str,
                     environment: str) -> AuthorityAnswer:
        from chalicelib.platform.dynamo import UnitOfWork

        now = self._now()
        used: list[int] = []
        uow = UnitOfWork()
        for number in range(first, last + 1):
            key = keys.local_authority_number(cnpj, series, number)
            uow.put(LocalAuthorityRecord.at(key, kind="local_authority", access_key="", state="voided"),
                    condition=LocalAuthorityRecord.pk.does_not_exist(),
                    on_fail=functools.partial(used.append, number))
        try:
            uow.commit()
        except Exception:  # noqa: BLE001 - the cancellation reasons name the numbers already used
            if used:
                key = keys.local_authority_number(cnpj, series, used[0])
                record = LocalAuthorityRecord.get(key.pk, key.sk, consistent_read=True)
                if record.state == "voided":
                    return _reject(codes.FAIXA_INUTILIZADA, now, f"({used[0]})")
                return _reject(codes.NUMERO_UTILIZADO, now, f"({used[0]})")
            raise AuthorityUnavailableError("The local authority's registry did not answer.") from None
        protocol = f"1{cnpj[:2]}{now:%y}{secrets.randbelow(10**10):010d}"
        return AuthorityAnswer(codes.INUTILIZACAO_HOMOLOGADA, codes.TEXTS[codes.INUTILIZACAO_HOMOLOGADA], now, protocol)
