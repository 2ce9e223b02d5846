"""SEFAZ's codes as data: status codes (cStat) with their texts (xMotivo), the groups the invoice's
lifecycle reads, composed from each other, and the event types (tpEvento).

The source is the Manual de Orientação do Contribuinte's status table (layout 4.00). The local authority
answers with these codes and texts, the SEFAZ adapter reads answers by these groups, and the invoice's
state table maps them; a code is written down once, here.
"""

from __future__ import annotations

from typing import Final

# Event types (tpEvento) this platform registers.
EVENT_CANCEL: Final = "110111"  # cancelamento
EVENT_CORRECTION: Final = "110110"  # carta de correção
# Manifestação do destinatário (MD-e), to the Ambiente Nacional (cOrgao 91)
MDE_CONFIRMATION: Final = "210200"  # confirmação da operação
MDE_AWARENESS: Final = "210210"  # ciência da operação
MDE_UNKNOWN: Final = "210220"  # desconhecimento da operação
MDE_NOT_PERFORMED: Final = "210240"  # operação não realizada (xJust 15..255)
MDE_EVENTS: Final = frozenset({MDE_CONFIRMATION, MDE_AWARENESS, MDE_UNKNOWN, MDE_NOT_PERFORMED})

# Status codes (cStat)
AUTORIZADO: Final = "100"
CANCELAMENTO_HOMOLOGADO: Final = "101"
INUTILIZACAO_HOMOLOGADA: Final = "102"
LOTE_RECEBIDO: Final = "103"
LOTE_PROCESSADO: Final = "104"
LOTE_EM_PROCESSAMENTO: Final = "105"
SERVICO_PARALISADO: Final = "108"
SERVICO_PARALISADO_SEM_PREVISAO: Final = "109"
USO_DENEGADO: Final = "110"
LOTE_DE_EVENTO_PROCESSADO: Final = "128"
EVENTO_VINCULADO: Final = "135"
NENHUM_DOCUMENTO: Final = "137"  # distribuição: nothing after the NSU asked
DOCUMENTO_LOCALIZADO: Final = "138"  # distribuição: documents found
CONSUMO_INDEVIDO: Final = "656"  # distribuição: asked too soon (blocked for an hour)
EVENTO_NAO_VINCULADO: Final = "136"
AUTORIZADO_FORA_DE_PRAZO: Final = "150"
CANCELAMENTO_FORA_DE_PRAZO: Final = "151"
CANCELAMENTO_POR_EVENTO_FORA_DE_PRAZO: Final = "155"
DUPLICIDADE: Final = "204"
INUTILIZADA: Final = "206"
CNPJ_DO_CERTIFICADO: Final = "213"
CHAVE_DIFERE: Final = "216"
NAO_CONSTA: Final = "217"
JA_CANCELADA: Final = "218"
SCHEMA: Final = "225"
NUMERO_UTILIZADO: Final = "241"
AMBIENTE_DIVERGE: Final = "252"
FAIXA_INUTILIZADA: Final = "256"
ASSINATURA: Final = "297"
DENEGADO_EMITENTE: Final = "301"
DENEGADO_DESTINATARIO: Final = "302"
DENEGADO_DESTINATARIO_NAO_HABILITADO: Final = "303"
PREFIXO_DE_NAMESPACE: Final = "404"
PRAZO_DE_CANCELAMENTO: Final = "501"
CHAVE_NAO_CORRESPONDE: Final = "502"
DUPLICIDADE_COM_CHAVE_DIFERENTE: Final = "539"
DUPLICIDADE_DE_EVENTO: Final = "573"
HOMOLOGACAO_RAZAO_SOCIAL: Final = "598"

# The texts the manual gives them (a rejection's answer is "Rejeição: " + its text).
TEXTS: Final = {
    AUTORIZADO: "Autorizado o uso da NF-e",
    CANCELAMENTO_HOMOLOGADO: "Cancelamento de NF-e homologado",
    INUTILIZACAO_HOMOLOGADA: "Inutilização de número homologado",
    LOTE_RECEBIDO: "Lote recebido com sucesso",
    LOTE_PROCESSADO: "Lote processado",
    LOTE_EM_PROCESSAMENTO: "Lote em processamento",
    SERVICO_PARALISADO: "Serviço Paralisado Momentaneamente (curto prazo)",
    SERVICO_PARALISADO_SEM_PREVISAO: "Serviço Paralisado sem Previsão",
    USO_DENEGADO: "Uso Denegado",
    LOTE_DE_EVENTO_PROCESSADO: "Lote de Evento Processado",
    EVENTO_VINCULADO: "Evento registrado e vinculado a NF-e",
    NENHUM_DOCUMENTO: "Nenhum documento localizado",
    DOCUMENTO_LOCALIZADO: "Documento localizado",
    CONSUMO_INDEVIDO: "Consumo Indevido",
    DUPLICIDADE: "Duplicidade de NF-e",
    INUTILIZADA: "NF-e já está inutilizada na Base de dados da SEFAZ",
    CNPJ_DO_CERTIFICADO: "CNPJ-Base do Emitente difere do CNPJ-Base do Certificado Digital",
    CHAVE_DIFERE: "Chave de Acesso difere da cadastrada",
    NAO_CONSTA: "NF-e não consta na base de dados da SEFAZ",
    JA_CANCELADA: "NF-e já está cancelada na base de dados da SEFAZ",
    SCHEMA: "Falha no Schema XML do lote de NFe",  # the manual's text (it read "da NFe" here before)
    NUMERO_UTILIZADO: "Um número da faixa já foi utilizado",
    AMBIENTE_DIVERGE: "Ambiente informado diverge do Ambiente de recebimento",
    FAIXA_INUTILIZADA: "Uma NF-e da faixa já está inutilizada na Base de dados da SEFAZ",
    ASSINATURA: "Assinatura difere do calculado",
    PREFIXO_DE_NAMESPACE: "Uso de prefixo de namespace não permitido",
    PRAZO_DE_CANCELAMENTO: "Prazo de Cancelamento Superior ao Previsto na Legislação",
    CHAVE_NAO_CORRESPONDE: "Erro na Chave de Acesso - Campo Id não corresponde à concatenação dos campos "
                           "correspondentes",
    DUPLICIDADE_COM_CHAVE_DIFERENTE: "Duplicidade de NF-e com diferença na Chave de Acesso",
    DUPLICIDADE_DE_EVENTO: "Duplicidade de Evento",
    HOMOLOGACAO_RAZAO_SOCIAL: "NF-e emitida em ambiente de homologação com Razão Social do destinatário diferente de",
}

# Groups, composed from each other
AUTHORIZED: Final = frozenset({AUTORIZADO, AUTORIZADO_FORA_DE_PRAZO})
DENIED: Final = frozenset({USO_DENEGADO, DENEGADO_EMITENTE, DENEGADO_DESTINATARIO, DENEGADO_DESTINATARIO_NAO_HABILITADO})
WITH_PROTOCOL: Final = AUTHORIZED | DENIED  # an nProt is given: the NF-e is in SEFAZ's database for good
CANCELLED_NFE: Final = frozenset({CANCELAMENTO_HOMOLOGADO, CANCELAMENTO_FORA_DE_PRAZO})
CONSULT_WITH_PROTOCOL: Final = WITH_PROTOCOL | CANCELLED_NFE  # a consult of a cancelled NF-e keeps its protNFe
IN_PROCESSING: Final = frozenset({LOTE_RECEBIDO, LOTE_PROCESSADO, LOTE_EM_PROCESSAMENTO})
UNAVAILABLE: Final = frozenset({SERVICO_PARALISADO, SERVICO_PARALISADO_SEM_PREVISAO})
EVENT_REGISTERED: Final = frozenset({EVENTO_VINCULADO, EVENTO_NAO_VINCULADO, CANCELAMENTO_POR_EVENTO_FORA_DE_PRAZO})
CANCELLED: Final = CANCELLED_NFE | EVENT_REGISTERED
VOIDED: Final = frozenset({INUTILIZACAO_HOMOLOGADA})


def rejection(code: str, detail: str = "") -> str:
    """The xMotivo SEFAZ gives a rejection: "Rejeição: <text>" and what it adds (`detail`)."""
    text = TEXTS[code]
    return f"Rejeição: {text} {detail}".rstrip() if detail else f"Rejeição: {text}"
