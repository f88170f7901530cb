#!/usr/bin/env bash
# The CJK font the server draws PDFs with (结算单, 缴费凭证: src/yibao/web/pdf.py): Debian's
# fonts-wqy-microhei (TrueType, ~5 MB). Installs it when missing; does nothing when it is there.
set -euo pipefail
FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
if [ -f "$FONT" ]; then
  echo "fonts: $FONT"
  exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq fonts-wqy-microhei >/dev/null
[ -f "$FONT" ] && echo "fonts: $FONT (installed)" || { echo "fonts: fonts-wqy-microhei did not install $FONT" >&2; exit 1; }
