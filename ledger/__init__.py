"""claims-ledger: who said what, and what figure they gave, as a tamper-evident log."""

from __future__ import annotations

from ledger.domain.events import (
    ClaimDisputed,
    ClaimMade,
    ClaimRetracted,
    Event,
    FigureReported,
    SourceDescribed,
    TopicDefined,
)
from ledger.domain.figures import Figure, Interval
from ledger.domain.phrases import parse_figure
from ledger.domain.records import Recorded
from ledger.domain.views import (
    Camp,
    Consensus,
    CurrentFigure,
    Dispute,
    HistoryEntry,
    PropositionView,
    TopicView,
)
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
from ledger.facade import Ledger, LedgerView
from ledger.facade.tracking import PersistedProjection, Tracked
from ledger.projections.protocol import Projection
from ledger.tamper import Checkpoint, ConsistencyProof, Receipt, VerifyReport
from ledger.version import __version__ as __version__

__all__ = [
    "Camp",
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
    "HistoryEntry",
    "ImportFailed",
    "Interval",
    "InvalidEvent",
    "InvalidFigure",
    "InvalidProof",
    "Ledger",
    "LedgerError",
    "LedgerView",
    "PersistedProjection",
    "Projection",
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
    "Tracked",
    "UnitMismatch",
    "UnknownClaim",
    "UnknownTopic",
    "UnparseableFigure",
    "UnsupportedRecord",
    "ValidationError",
    "VerifyReport",
    "parse_figure",
]
