"""Logging that never prints an ID number in clear (个人信息保护): a filter masks anything that
looks like one (17 digits and a check character) in every record, e.g. in access-log URLs."""

from __future__ import annotations

import logging
import re

from yibao.idcard import mask

ID_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def mask_text(text: str) -> str:
    return ID_LIKE.sub(lambda m: mask(m.group(0)), text)


class MaskIdNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = mask_text(record.getMessage())
            record.args = None
        else:
            record.msg = mask_text(str(record.msg))
        return True


def install() -> None:
    """Attach the filter to the loggers the server writes (idempotent)."""
    for name in ("uvicorn.access", "uvicorn.error", "yibao"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskIdNumbers) for f in logger.filters):
            logger.addFilter(MaskIdNumbers())
