"""Where the installed `resilience` command is: beside this Python, or else on the PATH."""

import shutil
import sys
from pathlib import Path

BIN = Path(sys.executable).parent / ("resilience.exe" if sys.platform == "win32" else "resilience")
RESILIENCE = str(BIN) if BIN.exists() else (shutil.which("resilience") or "resilience")
