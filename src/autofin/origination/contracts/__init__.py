"""Loan contracts (合同) and signing (面签): the contract PDF, the institution's PAdES signature, signing sessions.

Building blocks used by the origination flow: :func:`document.render_contract_pdf` (pure: ``ContractData`` → PDF
bytes), :mod:`signing` (pyHanko sign / verify), :mod:`service` (signing sessions). See ``docs.md``.
"""
