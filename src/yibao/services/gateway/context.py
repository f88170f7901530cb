"""What a transaction function receives: the session (in its transaction), the policy library,
the API user, the checked envelope and the time the message was received."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from yibao.policy import PolicyLibrary
from yibao.services.gateway.envelope import Envelope, Fields
from yibao.services.gateway.labels import LABELS
from yibao.store.audit import Actor


@dataclass(frozen=True)
class Context:
    session: Session
    library: PolicyLibrary
    actor: Actor
    envelope: Envelope
    received: dt.datetime

    def data(self, node: str = "data") -> Fields:
        """The input's node (``input.data``, ``input.mdtrtinfo`` …) as a field reader."""
        return Fields(self.envelope.input.get(node), f"input.{node}", LABELS)

    def node_rows(self, node: str) -> list[Fields]:
        """An input node that is an array of rows (``input.feedetail`` …)."""
        return Fields(self.envelope.input, "input", LABELS).rows(node)

    def has(self, node: str) -> bool:
        return node in self.envelope.input
