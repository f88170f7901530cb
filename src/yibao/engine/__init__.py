"""The pure engine: the single implementation of every rule. No I/O, no clock, no globals."""
