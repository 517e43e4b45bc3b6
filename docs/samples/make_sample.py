"""Make the sample ICT manual and its small office/web/image siblings, deterministically.

    python docs/samples/make_sample.py            # writes into docs/samples/

The product (AR-100) is invented. The PDF has real vector figures (flowchart, topology,
sequence diagram) drawn with pymupdf shapes and one raster figure drawn with PIL, whose
text ("Web Server 192.168.10.5", "FW-DMZ-01") exists only as pixels, for OCR tests.
"""

from __future__ import annotations

import datetime
import io
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pymupdf
from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
TITLE = "ICT Sample Manual \u2014 Campus Network Access Router AR-100"
W, H, MARGIN = 595.0, 842.0, 64.0
BLACK, GREY, BLUE = (0, 0, 0), (0.45, 0.45, 0.45), (0.12, 0.27, 0.55)
BOX_FILL, DIAMOND_FILL = (0.88, 0.93, 1.0), (1.0, 0.95, 0.8)
# Embedded (then subset) TrueType fonts: base-14 Helvetica cannot show the em dash of the title.
PDF_FONTS = {
    "sans": FONT,
    "sansb": FONT_BOLD,
    "mono": Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"),
}
_MEASURE: dict[str, pymupdf.Font] = {}


# Without fonts-dejavu-core the base-14 fonts stand in (the em dash then shows as "·").
_BASE14 = {"sans": "helv", "sansb": "hebo", "mono": "cour"}


def _font_args(font: str) -> dict:
    path = PDF_FONTS[font]
    return (
        {"fontname": font, "fontfile": str(path)} if path.exists() else {"fontname": _BASE14[font]}
    )


def text_length(text: str, font: str, size: float) -> float:
    if font not in _MEASURE:
        args = _font_args(font)
        _MEASURE[font] = (
            pymupdf.Font(fontfile=args["fontfile"])
            if "fontfile" in args
            else pymupdf.Font(args["fontname"])
        )
    return _MEASURE[font].text_length(text, fontsize=size)


def put_text(
    page: pymupdf.Page, point, text: str, font: str = "sans", size: float = 10.5, color=BLACK
) -> None:
    page.insert_text(point, text, fontsize=size, color=color, **_font_args(font))


def _font(size: int, bold: bool = False) -> ImageFont.ImageFont:
    path = FONT_BOLD if bold else FONT
    if path.exists():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _pil_box(draw: ImageDraw.ImageDraw, box, lines, fill, font) -> None:
    draw.rectangle(box, fill=fill, outline="black", width=3)
    x0, y0, x1, y1 = box
    step = font.size + 8
    top = (y0 + y1) / 2 - step * len(lines) / 2 + 4
    for i, line in enumerate(lines):
        width = draw.textlength(line, font=font)
        draw.text(((x0 + x1 - width) / 2, top + i * step), line, fill="black", font=font)


def _pil_arrow(draw: ImageDraw.ImageDraw, start, end) -> None:
    draw.line([start, end], fill="black", width=3)
    (x0, y0), (x1, y1) = start, end
    if x1 != x0:
        sign = 1 if x1 > x0 else -1
        draw.polygon([(x1, y1), (x1 - 14 * sign, y1 - 8), (x1 - 14 * sign, y1 + 8)], fill="black")
    else:
        sign = 1 if y1 > y0 else -1
        draw.polygon([(x1, y1), (x1 - 8, y1 - 14 * sign), (x1 + 8, y1 - 14 * sign)], fill="black")


def dmz_png() -> bytes:
    """Figure 5-1: the raster figure. Its labels exist nowhere else in the manual."""
    image = Image.new("RGB", (960, 420), "white")
    draw = ImageDraw.Draw(image)
    font, bold = _font(24), _font(26, bold=True)
    _pil_box(draw, (20, 150, 200, 250), ["Internet"], "#e8e8e8", bold)
    _pil_box(draw, (290, 140, 500, 260), ["FW-DMZ-01", "Firewall"], "#ffd9cc", bold)
    _pil_box(draw, (600, 40, 940, 150), ["Web Server", "192.168.10.5"], "#dde8ff", font)
    _pil_box(draw, (600, 270, 940, 380), ["Mail Relay", "192.168.10.7"], "#dde8ff", font)
    _pil_arrow(draw, (200, 200), (290, 200))
    _pil_arrow(draw, (500, 175), (600, 95))
    _pil_arrow(draw, (500, 225), (600, 325))
    draw.text((410, 100), "TCP 443", fill="black", font=_font(20))
    draw.text((420, 280), "TCP 25", fill="black", font=_font(20))
    return _png_bytes(image.convert("P", palette=Image.Palette.ADAPTIVE, colors=16))


def topology_png() -> bytes:
    """A standalone topology picture for the image loader and the office samples."""
    image = Image.new("RGB", (720, 400), "white")
    draw = ImageDraw.Draw(image)
    font, bold = _font(22), _font(24, bold=True)
    _pil_box(draw, (250, 20, 470, 110), ["Core-SW-01", "10.1.1.1"], "#dde8ff", bold)
    _pil_box(draw, (40, 270, 280, 370), ["Access-SW-02", "VLAN 20"], "#e6f5e6", font)
    _pil_box(draw, (440, 270, 680, 370), ["Access-SW-03", "VLAN 30"], "#e6f5e6", font)
    _pil_arrow(draw, (320, 110), (160, 270))
    _pil_arrow(draw, (400, 110), (560, 270))
    draw.text((130, 170), "XGE0/0/1", fill="black", font=_font(20))
    draw.text((500, 170), "XGE0/0/2", fill="black", font=_font(20))
    return _png_bytes(image.convert("P", palette=Image.Palette.ADAPTIVE, colors=16))


@dataclass
class Canvas:
    page: pymupdf.Page
    shape: pymupdf.Shape
    texts: list[tuple]


class Writer:
    """A tiny top-to-bottom page layout: headings, wrapped paragraphs, lists, tables, figures."""

    def __init__(self, doc: pymupdf.Document):
        self.doc = doc
        self.page: pymupdf.Page | None = None
        self.y = 0.0
        self.toc: list[list] = []

    def new_page(self) -> None:
        self.page = self.doc.new_page(width=W, height=H)
        number = self.doc.page_count
        put_text(self.page, (MARGIN, 40), "AR-100 User Guide", "sans", 9, GREY)
        self.page.draw_line((MARGIN, 46), (W - MARGIN, 46), color=GREY, width=0.5)
        footer = f"Page {number}"
        width = text_length(footer, "sans", 9)
        put_text(self.page, ((W - width) / 2, H - 30), footer, "sans", 9, GREY)
        self.y = 80.0

    def need(self, height: float) -> None:
        if self.page is None or self.y + height > H - 60:
            self.new_page()

    def _wrap(self, text: str, font: str, size: float, width: float) -> list[str]:
        lines, line = [], ""
        for word in text.split():
            trial = f"{line} {word}".strip()
            if text_length(trial, font, size) > width and line:
                lines.append(line)
                line = word
            else:
                line = trial
        return [*lines, line] if line else lines

    def text(self, text: str, size: float = 10.5, font: str = "sans", indent: float = 0.0) -> None:
        lines = self._wrap(text, font, size, W - 2 * MARGIN - indent)
        leading = size * 1.4
        self.need(leading * len(lines))
        for line in lines:
            self.y += leading
            put_text(self.page, (MARGIN + indent, self.y), line, font, size)
        self.y += size * 0.6

    def code(self, lines: list[str]) -> None:
        self.need(13 * len(lines) + 6)
        for line in lines:
            self.y += 13
            put_text(self.page, (MARGIN + 18, self.y), line, "mono", 9.5)
        self.y += 8

    def heading(self, text: str, level: int, toc: bool = True) -> None:
        size = {1: 18.0, 2: 13.5, 3: 11.5}[level]
        if level == 1:  # every chapter opens a page, as in real manuals
            self.new_page()
        self.need(size * 2 + 60)  # never a heading alone at the foot of a page
        self.y += size * 0.9
        self.text(text, size=size, font="sansb")
        if toc:
            self.toc.append([level, text, self.doc.page_count])

    def bullets(self, items: list[str]) -> None:
        for item in items:
            self.need(16)
            self.page.draw_circle((MARGIN + 8, self.y + 11), 1.8, color=BLACK, fill=BLACK)
            self.text(item, indent=18)

    def table(self, rows: list[list[str]], widths: list[float]) -> None:
        row_h = 20.0
        self.need(row_h * len(rows) + 10)
        x0, top = MARGIN, self.y + 6
        for r, row in enumerate(rows):
            y = top + r * row_h
            if r == 0:
                self.page.draw_rect((x0, y, x0 + sum(widths), y + row_h), color=None, fill=BOX_FILL)
            x = x0
            for cell, width in zip(row, widths, strict=True):
                put_text(self.page, (x + 5, y + 14), cell, "sansb" if r == 0 else "sans", 9.5)
                x += width
        bottom = top + row_h * len(rows)
        for r in range(len(rows) + 1):
            self.page.draw_line(
                (x0, top + r * row_h), (x0 + sum(widths), top + r * row_h), width=0.7
            )
        x = x0
        for width in [0.0, *widths]:
            x += width
            self.page.draw_line((x, top), (x, bottom), width=0.7)
        self.y = bottom + 8

    def figure(self, height: float, draw, caption: str) -> None:
        """draw(canvas, x0, y0) paints inside a (W - 2*MARGIN) x height box."""
        self.need(height + 40)
        canvas = Canvas(self.page, self.page.new_shape(), [])
        draw(canvas, MARGIN, self.y + 8)
        canvas.shape.commit()
        for args in canvas.texts:  # after the filled shapes, or the fills would hide the text
            put_text(self.page, *args)
        self.y += height + 12
        width = text_length(caption, "sansb", 9.5)
        self.y += 14
        put_text(self.page, ((W - width) / 2, self.y), caption, "sansb", 9.5)
        self.y += 14


def _centred(canvas: Canvas, rect: pymupdf.Rect, lines: list[str], size: float = 9.0) -> None:
    top = (rect.y0 + rect.y1) / 2 - size * 1.25 * len(lines) / 2 + size
    for i, line in enumerate(lines):
        width = text_length(line, "sans", size)
        x = (rect.x0 + rect.x1 - width) / 2
        canvas.texts.append(((x, top + i * size * 1.25), line, "sans", size, BLACK))


def _box(canvas: Canvas, rect, lines, fill=BOX_FILL, radius=None) -> pymupdf.Rect:
    rect = pymupdf.Rect(rect)
    canvas.shape.draw_rect(rect, radius=radius)
    canvas.shape.finish(color=BLACK, fill=fill, width=1)
    _centred(canvas, rect, lines)
    return rect


def _arrow(canvas: Canvas, start, end, dashed: bool = False) -> None:
    shape = canvas.shape
    start, end = pymupdf.Point(start), pymupdf.Point(end)
    shape.draw_line(start, end)
    shape.finish(color=BLACK, width=1, dashes="[3] 0" if dashed else None, closePath=False)
    direction = end - start
    length = abs(direction) or 1.0
    ux, uy = direction.x / length, direction.y / length
    back = pymupdf.Point(end.x - 7 * ux, end.y - 7 * uy)
    left = pymupdf.Point(back.x - 3.5 * uy, back.y + 3.5 * ux)
    right = pymupdf.Point(back.x + 3.5 * uy, back.y - 3.5 * ux)
    shape.draw_polyline([end, left, right])
    shape.finish(color=BLACK, fill=BLACK, width=0.5, closePath=True)


def _label(canvas: Canvas, point, text: str, size: float = 8.0, color=BLUE) -> None:
    canvas.texts.append((point, text, "sans", size, color))


def draw_flowchart(canvas: Canvas, x0: float, y0: float) -> None:
    shape, cx = canvas.shape, x0 + 170
    start = _box(canvas, (cx - 45, y0, cx + 45, y0 + 22), ["Start"], radius=0.5)
    steps = [
        "Client connects to port GE0/0/1",
        "Client sends EAPOL-Start",
        "AR-100 relays identity to RADIUS server",
    ]
    prev, y = start, y0 + 36
    for text in steps:
        rect = _box(canvas, (cx - 100, y, cx + 100, y + 24), [text])
        _arrow(canvas, (cx, prev.y1), (cx, rect.y0))
        prev, y = rect, y + 38
    top, bottom = pymupdf.Point(cx, y), pymupdf.Point(cx, y + 50)
    shape.draw_polyline(
        [top, pymupdf.Point(cx + 75, y + 25), bottom, pymupdf.Point(cx - 75, y + 25)]
    )
    shape.finish(color=BLACK, fill=DIAMOND_FILL, width=1, closePath=True)
    _centred(canvas, pymupdf.Rect(cx - 60, y + 15, cx + 60, y + 35), ["Credentials valid?"])
    _arrow(canvas, (cx, prev.y1), top)
    accept = _box(canvas, (cx - 100, y + 72, cx + 100, y + 96), ["Port authorized, assign VLAN 10"])
    _arrow(canvas, bottom, (cx, accept.y0))
    _label(canvas, (cx + 5, y + 64), "Yes")
    reject = _box(canvas, (cx + 140, y + 13, cx + 300, y + 37), ["Reject and log failure"])
    _arrow(canvas, (cx + 75, y + 25), (reject.x0, y + 25))
    _label(canvas, (cx + 95, y + 20), "No")
    end = _box(canvas, (cx - 45, y + 114, cx + 45, y + 136), ["End"], radius=0.5)
    _arrow(canvas, (cx, accept.y1), (cx, end.y0))


def draw_topology(canvas: Canvas, x0: float, y0: float) -> None:
    shape = canvas.shape
    router = _box(canvas, (x0 + 165, y0, x0 + 300, y0 + 36), ["AR-100", "Access Router"])
    sw_a = _box(
        canvas, (x0 + 40, y0 + 110, x0 + 170, y0 + 140), ["SW-A (Servers)"], (0.9, 0.97, 0.9)
    )
    sw_b = _box(
        canvas, (x0 + 300, y0 + 110, x0 + 430, y0 + 140), ["SW-B (Users)"], (0.9, 0.97, 0.9)
    )
    for switch, port in ((sw_a, "GE0/0/1"), (sw_b, "GE0/0/2")):
        start = pymupdf.Point((router.x0 + router.x1) / 2, router.y1)
        end = pymupdf.Point((switch.x0 + switch.x1) / 2, switch.y0)
        shape.draw_line(start, end)
        shape.finish(color=BLACK, width=1.2)
        mid_x, mid_y = (start.x + end.x) / 2, (start.y + end.y) / 2
        _label(canvas, (mid_x - 42 if end.x < start.x else mid_x + 8, mid_y - 4), port)
    wan = pymupdf.Point((router.x0 + router.x1) / 2 + 120, y0 + 18)
    shape.draw_line(pymupdf.Point(router.x1, y0 + 18), wan)
    shape.finish(color=BLACK, width=1.2)
    _label(canvas, (router.x1 + 8, y0 + 14), "GE0/0/0 (WAN)")
    hosts = [
        (sw_a, ["Server-1", "10.0.0.10"], -50),
        (sw_a, ["Server-2", "10.0.0.11"], 50),
        (sw_b, ["PC-1", "VLAN 10"], -50),
        (sw_b, ["PC-2", "VLAN 10"], 50),
    ]
    for switch, lines, dx in hosts:
        cx = (switch.x0 + switch.x1) / 2 + dx
        host = _box(canvas, (cx - 36, y0 + 200, cx + 36, y0 + 230), lines, (1, 1, 1))
        shape.draw_line(
            pymupdf.Point(cx, host.y0), pymupdf.Point((switch.x0 + switch.x1) / 2, switch.y1)
        )
        shape.finish(color=BLACK, width=0.8)


def draw_sequence(canvas: Canvas, x0: float, y0: float) -> None:
    shape = canvas.shape
    names = ["UE", "eNodeB", "MME"]
    xs = [x0 + 60, x0 + 230, x0 + 400]
    for name, x in zip(names, xs, strict=True):
        _box(canvas, (x - 40, y0, x + 40, y0 + 22), [name])
        shape.draw_line(pymupdf.Point(x, y0 + 22), pymupdf.Point(x, y0 + 250))
        shape.finish(color=GREY, width=0.8, dashes="[3] 0")
    messages = [
        (0, 1, "Attach Request"),
        (1, 2, "Attach Request (S1-MME)"),
        (2, 0, "Authentication Request"),
        (0, 2, "Authentication Response"),
        (2, 0, "Security Mode Command"),
        (0, 2, "Security Mode Complete"),
        (2, 1, "Initial Context Setup Request"),
        (1, 0, "Attach Accept"),
        (0, 2, "Attach Complete"),
    ]
    for i, (src, dst, text) in enumerate(messages):
        y = y0 + 42 + i * 23
        _arrow(canvas, (xs[src], y), (xs[dst], y))
        left = min(xs[src], xs[dst])
        _label(canvas, (left + 8, y - 3), f"{i + 1}. {text}", size=7.5, color=BLACK)


def dmz_figure(png: bytes):
    def draw(canvas: Canvas, x0: float, y0: float) -> None:
        canvas.page.insert_image(pymupdf.Rect(x0 + 20, y0, x0 + 447, y0 + 187), stream=png)

    return draw


def write_pdf(path: Path, dmz: bytes) -> None:
    doc = pymupdf.open()
    w = Writer(doc)
    w.new_page()
    w.y = 200
    w.text(TITLE, size=22, font="sansb")
    w.text("User Guide", size=14)
    w.y += 30
    w.text("Issue 01    Date 2024-05-01", size=11)
    w.y += 40
    w.heading("About This Document", 2, toc=False)
    w.text(
        "This guide describes how to install, configure and troubleshoot the AR-100 campus "
        "access router. It is intended for network administrators who are familiar with "
        "Ethernet switching, IP routing and RADIUS-based access control."
    )
    w.text(
        "Chapters: 1 Product Overview; 2 Access Authentication; 3 Network Deployment; "
        "4 LTE Backhaul; 5 DMZ Publishing."
    )
    w.heading("1 Product Overview", 1)
    w.heading("1.1 About the AR-100", 2)
    w.text(
        "The AR-100 is a compact campus access router that connects user switches to the "
        "enterprise WAN. It routes between the user subnet 10.0.0.0/24 and the uplink on "
        "GE0/0/0, authenticates wired users with 802.1X, and can backhaul LTE small cells "
        "over the S1-MME interface. Dynamic routing uses OSPF area 0 on every uplink."
    )
    w.heading("1.2 Key Features", 2)
    w.bullets(
        [
            "Four GE electrical ports (GE0/0/0 to GE0/0/3) with line-rate forwarding.",
            "Port-based 802.1X authentication with dynamic VLAN assignment (VLAN 10 by default).",
            "OSPFv2 and static routing; OSPF area 0 backbone support.",
            "LTE backhaul transport for eNodeB S1-MME and S1-U traffic.",
            "Stateful firewall zones for DMZ publishing.",
        ]
    )
    w.heading("1.3 Interfaces", 2)
    w.text("Table 1-1 lists the physical interfaces and their factory default addresses.")
    w.table(
        [
            ["Interface", "Type", "Default IP"],
            ["GE0/0/0", "WAN uplink", "DHCP client"],
            ["GE0/0/1", "LAN (servers)", "10.0.0.1/24"],
            ["GE0/0/2", "LAN (users)", "10.0.1.1/24"],
            ["GE0/0/3", "DMZ", "192.168.10.1/24"],
            ["MEth0/0/0", "Management", "192.168.1.1/24"],
        ],
        [120, 150, 150],
    )
    w.heading("2 Access Authentication", 1)
    w.heading("2.1 802.1X Overview", 2)
    w.text(
        "802.1X controls access at the port level. A client (supplicant) attached to "
        "GE0/0/1 cannot send traffic until the AR-100, acting as authenticator, relays its "
        "EAP credentials to a RADIUS server and receives an Access-Accept. On success the "
        "port is placed in VLAN 10; on failure the port stays unauthorized. Figure 2-1 shows "
        "the complete decision flow."
    )
    w.figure(296, draw_flowchart, "Figure 2-1 802.1X authentication flow")
    w.heading("2.2 Configuring 802.1X", 2)
    w.text("Enable 802.1X globally, then on each access port, and point the router at RADIUS:")
    w.code(["dot1x enable", "interface GE0/0/1", "  dot1x enable", "  port link-type access"])
    w.heading("3 Network Deployment", 1)
    w.heading("3.1 Campus Topology", 2)
    w.text(
        "A typical deployment places one AR-100 between the WAN and two access switches: "
        "SW-A for servers on GE0/0/1 and SW-B for user PCs on GE0/0/2. For the cabling and "
        "interface assignment, see Figure 3-1."
    )
    w.figure(240, draw_topology, "Figure 3-1 Campus network topology")
    w.heading("3.2 Routing with OSPF", 2)
    w.text(
        "Configure OSPF process 1 and advertise 10.0.0.0/24 in OSPF area 0. The WAN uplink "
        "GE0/0/0 forms the adjacency with the provider edge router; hello and dead timers "
        "default to 10 and 40 seconds."
    )
    w.heading("4 LTE Backhaul", 1)
    w.heading("4.1 S1-MME Signalling", 2)
    w.text(
        "When the AR-100 backhauls a small cell, the eNodeB reaches the MME over the S1-MME "
        "interface (SCTP port 36412). Figure 4-1 shows the messages exchanged when a UE "
        "attaches to the network; the router only forwards them and does not terminate SCTP."
    )
    w.figure(260, draw_sequence, "Figure 4-1 Attach signalling")
    w.heading("5 DMZ Publishing", 1)
    w.heading("5.1 Publishing a Web Service", 2)
    w.text(
        "Servers that must be reachable from the Internet are placed in the DMZ behind the "
        "firewall zone on GE0/0/3. Only the listed service ports are opened from the "
        "untrusted zone, as shown in Figure 5-1."
    )
    w.figure(190, dmz_figure(dmz), "Figure 5-1 DMZ web access")
    w.heading("5.2 Troubleshooting", 2)
    w.bullets(
        [
            "If users stay unauthorized, check the RADIUS shared key and 802.1X port state.",
            "If OSPF neighbours stay in Init, compare the area ID and hello timers.",
            "If the DMZ service is unreachable, verify the NAT server mapping and zone policy.",
        ]
    )
    doc.set_toc(w.toc)
    doc.set_metadata({"title": TITLE, "author": "ictrag", "subject": "AR-100 User Guide"})
    doc.subset_fonts()
    doc.save(path, garbage=4, deflate=True, no_new_id=True, reproducible=True)


def _freeze_zip(path: Path) -> None:
    """Rewrite an OOXML zip with fixed entry times, so the same input gives the same bytes."""
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            target.writestr(
                zipfile.ZipInfo(name, date_time=(2024, 5, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED
            )


def write_docx(path: Path, png: bytes) -> None:
    import docx
    from docx.shared import Inches

    document = docx.Document()
    document.core_properties.created = datetime.datetime(2024, 5, 1)
    document.core_properties.modified = datetime.datetime(2024, 5, 1)
    document.add_heading("AR-100 Quick Start", level=1)
    document.add_paragraph(
        "This guide explains how to bring an AR-100 router into service on a campus network "
        "and verify that OSPF area 0 adjacency forms on GE0/0/0."
    )
    document.add_heading("Before You Begin", level=2)
    for item in ("Prepare a console cable.", "Reserve 10.0.0.0/24 for the server VLAN."):
        document.add_paragraph(item, style="List Bullet")
    document.add_heading("Interface Plan", level=2)
    table = document.add_table(rows=3, cols=3)
    table.style = "Table Grid"
    for r, row in enumerate(
        [
            ["Interface", "VLAN", "Address"],
            ["GE0/0/1", "VLAN 10", "10.0.0.1"],
            ["GE0/0/2", "VLAN 20", "10.0.1.1"],
        ]
    ):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_heading("Topology", level=2)
    document.add_picture(io.BytesIO(png), width=Inches(4.5))
    document.add_paragraph("Figure 1-1 Core and access switch topology", style="Caption")
    document.save(path)
    _freeze_zip(path)


def write_pptx(path: Path, png: bytes) -> None:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.core_properties.revision = 1
    deck.core_properties.created = deck.core_properties.modified = datetime.datetime(2024, 5, 1)
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "AR-100 Deployment Overview"
    body = slide.placeholders[1].text_frame
    body.text = "Authenticate users with 802.1X on GE0/0/1"
    for line in (
        "Assign VLAN 10 after successful authentication",
        "Advertise 10.0.0.0/24 in OSPF area 0",
    ):
        body.add_paragraph().text = line
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Core and Access Topology"
    slide.shapes.add_picture(io.BytesIO(png), Inches(1.5), Inches(2.0), width=Inches(7))
    deck.save(path)
    _freeze_zip(path)


HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>AR-100 Release Notes</title></head>
<body>
<h1>AR-100 Release Notes V100R002</h1>
<p>This release adds dynamic VLAN assignment for 802.1X users and fixes an OSPF area 0
adjacency flap on GE0/0/0 when the peer restarts.</p>
<h2>New Features</h2>
<ul>
<li>Dynamic VLAN assignment from RADIUS attributes.</li>
<li>S1-MME traffic prioritisation for LTE backhaul.</li>
</ul>
<h2>Resolved Issues</h2>
<table>
<tr><th>ID</th><th>Component</th><th>Description</th></tr>
<tr><td>DTS-1001</td><td>OSPF</td><td>Adjacency flap after peer restart</td></tr>
<tr><td>DTS-1002</td><td>802.1X</td><td>Re-authentication timer ignored</td></tr>
</table>
</body></html>
"""

MARKDOWN = """# AR-100 Command Reference

The AR-100 command line follows the usual view hierarchy. This page lists the commands
used to configure interfaces and routing.

## interface

Enters the view of an interface such as GE0/0/1 so that its address can be set.

- `interface GE0/0/1` enters the interface view.
- `ip address 10.0.0.1 24` sets the address of the server subnet.

## ospf

| Command | View | Purpose |
| --- | --- | --- |
| ospf 1 | system | Start OSPF process 1 |
| area 0 | ospf | Enter OSPF area 0 |
| network 10.0.0.0 0.0.0.255 | area | Advertise 10.0.0.0/24 |
"""


def main(out: Path = OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    dmz, topology = dmz_png(), topology_png()
    (out / "topology.png").write_bytes(topology)
    write_pdf(out / "ict-sample-manual.pdf", dmz)
    write_docx(out / "sample.docx", topology)
    write_pptx(out / "sample.pptx", topology)
    (out / "sample.html").write_text(HTML, encoding="utf-8")
    (out / "sample.md").write_text(MARKDOWN, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
