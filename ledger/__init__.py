"""claims-ledger: who said what, and what figure they gave, as a tamper-evident log."""

from __future__ import annotations

from ledger.codec import Recorded
from ledger.errors import (
    CompositeCycle,
    ConcurrencyError,
    CorruptLog,
    DuplicateClaim,
    DuplicateEvent,
    ForeignRetraction,
    ImportFailed,
    InvalidEvent,
    InvalidFigure,
    InvalidProof,
    LedgerError,
    RecordTooLarge,
    RetractedClaim,
    SelfDispute,
    SignatureError,
    StoreError,
    StoreUnavailable,
    UnitMismatch,
    UnknownClaim,
    UnknownTopic,
    UnparseableFigure,
    UnsupportedRecord,
    ValidationError,
)
from ledger.events import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Event,
    FigureReported,
    SourceDescribed,
    TopicDefined,
)
from ledger.facade import Ledger, LedgerView
from ledger.figures import Figure, Interval
from ledger.phrases import parse_figure
from ledger.tamper import Checkpoint, ConsistencyProof, Receipt, VerifyReport
from ledger.views import Consensus, CurrentFigure, Dispute, PropositionView, TopicView

__version__ = "0.1.0"

__all__ = [
    "Checkpoint",
    "ClaimDisputed",
    "ClaimMade",
    "ClaimRetracted",
    "CompositeCycle",
    "ConcurrencyError",
    "Consensus",
    "ConsistencyProof",
    "CorruptLog",
    "CurrentFigure",
    "Dispute",
    "DuplicateClaim",
    "DuplicateEvent",
    "Event",
    "Figure",
    "FigureReported",
    "ForeignRetraction",
    "ImportFailed",
    "Interval",
    "InvalidEvent",
    "InvalidFigure",
    "InvalidProof",
    "Ledger",
    "LedgerError",
    "LedgerView",
    "PropositionView",
    "Receipt",
    "RecordTooLarge",
    "Recorded",
    "RetractedClaim",
    "SelfDispute",
    "SignatureError",
    "SourceDescribed",
    "StoreError",
    "StoreUnavailable",
    "TopicDefined",
    "TopicView",
    "UnitMismatch",
    "UnknownClaim",
    "UnknownTopic",
    "UnparseableFigure",
    "UnsupportedRecord",
    "ValidationError",
    "VerifyReport",
    "parse_figure",
]
