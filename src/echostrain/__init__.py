"""echostrain: myocardial strain in 2D echocardiography.

Stages (data flows one way): ``io`` → ``anatomy`` → ``motion`` → ``sim`` →
``realism`` → ``data`` → ``track`` → ``strain`` → ``evaluate`` → ``report`` →
``cli``. Shared conventions (coordinates, units, encodings) are documented in
``docs/formats.md``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("echostrain")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from echostrain.core.errors import EchoStrainError

__all__ = ["EchoStrainError", "__version__"]
