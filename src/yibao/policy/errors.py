"""The one error type for anything wrong with policy data or a policy request."""


class PolicyError(ValueError):
    """Unknown region or year, or a malformed policy file. The message names file and key."""
