"""yibao (医保): China's urban-rural resident basic medical insurance, with the policy kept as data."""

__version__ = "0.1.0"
