"""How well the structural captioner reads diagrams back: Mermaid sources rendered with the
real Mermaid (vector PDF and PNG), read back, scored against the source.

    HF_HUB_OFFLINE=1 python tests/benchmarks/bench_diagrams.py --out /tmp/diagrams.json \
        [--corpus ../shared/corpus] [--max-corpus 40] [--no-png] [--work DIR]

Gold and scores come from the independent scorer ../shared/tools/diagram_score.py (see
independent_score.py): the gold structure is that tool's parse of each Mermaid source, the
prediction is the Mermaid ictrag emits for the recovered graph (`emit`, as the structural
captioner stores it) read by the same tool, scored by its `score` as is: node / edge /
labelled-edge F1 for graphs, participant / message F1 and order (LCS) for sequences, its
per-diagram `score`, macro-averaged per type and overall, for PDF and PNG. Packets are
outside the tool: field-name F1 against the source's field lines.

The diagram set (the project's own sources below plus Mermaid's syntax pages, selected by
`corpus_examples`) is the one the parsers were developed on: it was tuned on whole and has
no held-out part. Also reads ../shared/corpus/figures/*.pdf (no ground truth: what each
became) and packets/*.pdf (field-name recall against the ASCII .pkt sources).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import pymupdf

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's ictrag
sys.path.insert(1, str(Path(__file__).resolve().parent))
import independent_score as independent  # noqa: E402
from ictrag.training.synth.render import MermaidRenderer, RenderJob, renderer_available

from ictrag.figures.mermaid import emit, parse
from ictrag.figures.raster.read import recover_raster
from ictrag.figures.vector.diagram import recover_vector
from ictrag.figures.vector.packet import parse_ascii_packet
from ictrag.load.drawings import region_content

OWN: dict[str, str] = {
    "flow_login": """flowchart TD
  A[Start] --> B[Enter credentials]
  B --> C{Valid password?}
  C -->|Yes| D[Open session]
  C -->|No| E[Show error]
  E --> B
  D --> F([End])""",
    "flow_dhcp": """flowchart TD
  A[Client boots] --> B[Send DHCPDISCOVER]
  B --> C{Offer received?}
  C -->|No| D[Wait and retry]
  D --> B
  C -->|Yes| E[Send DHCPREQUEST]
  E --> F{ACK received?}
  F -->|ACK| G[Configure interface]
  F -->|NAK| B""",
    "flow_ospf": """flowchart LR
  A[Down] --> B[Init]
  B --> C[2-Way]
  C --> D{DR or BDR?}
  D -->|yes| E[ExStart]
  D -->|no| C
  E --> F[Exchange]
  F --> G[Loading]
  G --> H[Full]""",
    "flow_acl": """flowchart TD
  P[Packet arrives] --> M{Matches rule?}
  M -->|permit| F[Forward packet]
  M -->|deny| X[Drop packet]
  M -->|no match| N{More rules?}
  N -->|yes| M
  N -->|no| D[Implicit deny]""",
    "flow_upgrade": """flowchart TD
  S[Download image] --> V{Checksum OK?}
  V -->|No| S
  V -->|Yes| C[Copy to flash]
  C --> R[Set boot file]
  R --> B[Reboot device]
  B --> K{Version correct?}
  K -->|Yes| Done[Upgrade complete]
  K -->|No| RB[Roll back]""",
    "flow_arp": """flowchart TD
  A[Need MAC for IP] --> B{In ARP cache?}
  B -->|hit| C[Use cached MAC]
  B -->|miss| D[Broadcast ARP request]
  D --> E[Receive ARP reply]
  E --> F[Update cache]
  F --> C""",
    "flow_subgraph": """flowchart LR
  subgraph Site A
    R1[Router R1] --> S1[Switch S1]
  end
  subgraph Site B
    R2[Router R2] --> S2[Switch S2]
  end
  R1 -->|IPsec tunnel| R2""",
    "flow_qos": """flowchart TD
  I[Ingress] --> C{Classify DSCP}
  C -->|EF| Q1[Priority queue]
  C -->|AF41| Q2[Video queue]
  C -->|BE| Q3[Default queue]
  Q1 --> S[Scheduler]
  Q2 --> S
  Q3 --> S
  S --> E[Egress]""",
    "seq_attach": """sequenceDiagram
  participant UE
  participant eNB
  participant MME
  participant HSS
  UE->>eNB: RRC Connection Request
  eNB->>MME: Attach Request
  MME->>HSS: Authentication Info Request
  HSS-->>MME: Authentication Info Answer
  MME->>UE: Authentication Request
  UE-->>MME: Authentication Response
  MME->>eNB: Initial Context Setup
  eNB->>UE: Attach Accept""",
    "seq_tcp": """sequenceDiagram
  participant Client
  participant Server
  Client->>Server: SYN
  Server->>Client: SYN-ACK
  Client->>Server: ACK
  Client->>Server: HTTP GET
  Server-->>Client: 200 OK
  Client->>Server: FIN
  Server->>Client: FIN-ACK""",
    "seq_register": """sequenceDiagram
  participant UA as User Agent
  participant P as Proxy
  participant R as Registrar
  UA->>P: REGISTER
  P->>R: REGISTER
  R-->>P: 401 Unauthorized
  P-->>UA: 401 Unauthorized
  UA->>P: REGISTER with credentials
  P->>R: REGISTER with credentials
  alt credentials valid
    R-->>P: 200 OK
    P-->>UA: 200 OK
  else invalid
    R-->>P: 403 Forbidden
  end""",
    "seq_dhcp": """sequenceDiagram
  participant C as Client
  participant S as DHCP Server
  C->>S: DHCPDISCOVER
  S-->>C: DHCPOFFER
  C->>S: DHCPREQUEST
  S-->>C: DHCPACK
  loop every T1
    C->>S: DHCPREQUEST renew
    S-->>C: DHCPACK
  end""",
    "seq_pdu": """sequenceDiagram
  participant UE
  participant AMF
  participant SMF
  participant UPF
  UE->>AMF: PDU Session Establishment Request
  AMF->>SMF: Nsmf_PDUSession_CreateSMContext
  SMF->>UPF: N4 Session Establishment Request
  UPF-->>SMF: N4 Session Establishment Response
  SMF-->>AMF: Namf_Communication_N1N2MessageTransfer
  AMF-->>UE: PDU Session Establishment Accept""",
    "seq_tls": """sequenceDiagram
  participant Client
  participant Server
  Client->>Server: ClientHello
  Server->>Client: ServerHello
  Server->>Client: Certificate
  Server->>Client: ServerHelloDone
  Client->>Server: ClientKeyExchange
  Client->>Server: Finished
  Server->>Client: Finished""",
    "seq_dns": """sequenceDiagram
  participant H as Host
  participant R as Resolver
  participant A as Root server
  participant T as TLD server
  H->>R: query www.example.com
  R->>A: query
  A-->>R: referral to .com
  R->>T: query
  T-->>R: referral to example.com
  R-->>H: answer 93.184.216.34""",
    "seq_radius": """sequenceDiagram
  participant S as Supplicant
  participant N as NAS
  participant R as RADIUS Server
  S->>N: EAPOL-Start
  N->>S: EAP-Request Identity
  S->>N: EAP-Response Identity
  N->>R: Access-Request
  opt challenge
    R-->>N: Access-Challenge
    N->>S: EAP-Request
  end
  R-->>N: Access-Accept
  N->>S: EAP-Success""",
    "topo_campus": """flowchart LR
  Core[Core Switch] ---|GE0/0/1| Agg1[Aggregation 1]
  Core ---|GE0/0/2| Agg2[Aggregation 2]
  Agg1 ---|GE0/0/3| Acc1[Access 1]
  Agg2 ---|GE0/0/4| Acc2[Access 2]
  Core ---|10.0.0.1/30| FW[Firewall]
  FW --- Internet""",
    "topo_wan": """flowchart LR
  R1[Router R1] ---|eth0| R2[Router R2]
  R2 ---|eth1| R3[Router R3]
  R3 ---|eth2| R1
  R2 ---|Serial1/0| ISP[ISP]""",
    "topo_dc": """flowchart TD
  S1[Spine 1] --- L1[Leaf 1]
  S1 --- L2[Leaf 2]
  S2[Spine 2] --- L1
  S2 --- L2
  L1 --- H1[Server 1]
  L2 --- H2[Server 2]""",
    "topo_ring": """flowchart LR
  A[PE1] ---|10GE1/0/1| B[PE2]
  B ---|10GE1/0/2| C[PE3]
  C ---|10GE1/0/3| D[PE4]
  D ---|10GE1/0/4| A""",
    "state_tcp": """stateDiagram-v2
  [*] --> CLOSED
  CLOSED --> LISTEN : passive open
  CLOSED --> SYN_SENT : active open
  LISTEN --> SYN_RCVD : SYN
  SYN_SENT --> ESTABLISHED : SYN ACK
  SYN_RCVD --> ESTABLISHED : ACK
  ESTABLISHED --> FIN_WAIT : close
  FIN_WAIT --> CLOSED : timeout""",
    "state_bgp": """stateDiagram-v2
  [*] --> Idle
  Idle --> Connect : start
  Connect --> Active : retry expired
  Active --> OpenSent : TCP established
  Connect --> OpenSent : TCP established
  OpenSent --> OpenConfirm : OPEN received
  OpenConfirm --> Established : KEEPALIVE
  Established --> Idle : error""",
    "state_link": """stateDiagram-v2
  [*] --> Down
  Down --> Up : carrier detected
  Up --> Down : carrier lost
  Up --> [*]""",
    "state_rrc": """stateDiagram-v2
  [*] --> RRC_IDLE
  RRC_IDLE --> RRC_CONNECTED : connection setup
  RRC_CONNECTED --> RRC_INACTIVE : suspend
  RRC_INACTIVE --> RRC_CONNECTED : resume
  RRC_INACTIVE --> RRC_IDLE : release
  RRC_CONNECTED --> RRC_IDLE : release""",
    "state_port": """stateDiagram-v2
  [*] --> Blocking
  Blocking --> Listening : BPDU timeout
  Listening --> Learning : forward delay
  Learning --> Forwarding : forward delay
  Forwarding --> Blocking : topology change""",
    "packet_udp": """packet-beta
  0-15: "Source Port"
  16-31: "Destination Port"
  32-47: "Length"
  48-63: "Checksum\"""",
}

SUPPORTED = ("flowchart", "sequence", "state", "packet", "topology")


def corpus_examples(corpus: Path, limit: int) -> dict[str, str]:
    out: dict[str, str] = {}
    for md in sorted((corpus / "mermaid").glob("*.md")):
        text = md.read_text(errors="replace")
        blocks = re.findall(r"```mermaid(?:-example)?\n(.*?)```", text, re.S)
        for i, code in enumerate(blocks):
            try:
                graph = parse(code)
            except Exception:
                continue
            if graph.kind not in SUPPORTED or not (graph.nodes or graph.fields):
                continue
            if "classDef" in code or "click " in code or "@{" in code or "fa:" in code:
                continue
            out[f"{md.stem}_{i}"] = code
    names = sorted(out)
    step = max(1, len(names) // limit) if limit else 1
    return {name: out[name] for name in names[::step][:limit]}


def predicted(graph) -> dict:
    """The recovered graph as the independent scorer reads it: the Mermaid ictrag emits
    (packets: the field labels, which the scorer does not read)."""
    if graph.kind == "packet" or graph.fields:
        return {"type": "packet", "fields": independent.pred_fields_from_graph(graph)}
    try:
        code = emit(graph) if (graph.nodes or graph.messages) else ""
    except Exception as error:
        print(f"emit: {type(error).__name__}: {error}", file=sys.stderr)
        code = ""
    return independent.pred_from_mermaid(code) | {"mermaid": code}


def score_pdf(pdf: Path) -> tuple:
    page = pymupdf.open(pdf)[0]
    return recover_vector(region_content(page, tuple(page.rect)))


def run(args) -> dict:
    diagrams = dict(OWN)
    corpus = Path(args.corpus)
    if corpus.exists():
        diagrams.update(corpus_examples(corpus, args.max_corpus))
    work = Path(args.work or tempfile.mkdtemp(prefix="bench_diagrams_"))
    jobs = [
        RenderJob(code, None if args.no_png else work / f"{n}.png", work / f"{n}.pdf")
        for n, code in diagrams.items()
    ]
    t0 = time.time()
    with MermaidRenderer(scale=2) as renderer:
        results = renderer.render_many(jobs)
    render_s = time.time() - t0
    rows = []
    for (name, code), result in zip(diagrams.items(), results, strict=True):
        if not result.ok:
            continue
        gold = independent.gold(code, name)
        for mode in ("pdf", "png"):
            if mode == "png" and args.no_png:
                continue
            t = time.time()
            try:
                if mode == "pdf":
                    rec = score_pdf(work / f"{name}.pdf")
                else:
                    rec = recover_raster(str(work / f"{name}.png"))
                pred = predicted(rec.graph)
                pred_kind = rec.graph.kind
            except Exception as error:  # a crash is a zero, and reported
                print(f"{name} {mode}: {type(error).__name__}: {error}", file=sys.stderr)
                pred, pred_kind = {"type": None, "nodes": [], "edges": []}, "error"
            scores = independent.score(gold, pred)
            scores["type_ok"] = independent.type_ok(gold["type"], pred_kind)
            rows.append(
                {
                    "name": name,
                    "mode": mode,
                    **scores,
                    "type": gold["type"],
                    "pred_type": pred_kind,
                    "seconds": round(time.time() - t, 2),
                    "mermaid": pred.get("mermaid"),
                }
            )
    summary: dict[str, dict] = {}
    for mode in ("pdf", "png"):
        mine = [r for r in rows if r["mode"] == mode]
        if not mine:
            continue
        summary[f"{mode}/all"] = independent.summarize(mine)
        for kind in sorted({r["type"] for r in mine}):
            summary[f"{mode}/{kind}"] = independent.summarize(
                [r for r in mine if r["type"] == kind]
            )
    figures = corpus_figures(corpus) if corpus.exists() else []
    packets = corpus_packets(corpus) if corpus.exists() else {}
    return {
        "render_s": round(render_s, 1),
        "rows": rows,
        "summary": summary,
        "figures": figures,
        "packets": packets,
    }


def corpus_figures(corpus: Path) -> list[dict]:
    out = []
    for pdf in sorted((corpus / "figures").glob("*.pdf")):
        rec = score_pdf(pdf)
        out.append(
            {
                "file": pdf.name,
                "type": rec.graph.kind,
                "nodes": len(rec.graph.nodes),
                "edges": len(rec.graph.edges),
                "confidence": rec.confidence,
                "labels": [n.label for n in rec.graph.nodes.values()][:12],
            }
        )
    return out


def corpus_packets(corpus: Path) -> dict:
    hits = total = 0
    files = []
    for pkt in sorted((corpus / "packets").glob("*.pkt")):
        truth = [f.label for f in parse_ascii_packet(pkt.read_text(errors="replace"))]
        if not truth:
            continue
        rec = score_pdf(pkt.with_suffix(".pdf"))
        got = {f.label for f in rec.graph.fields}
        hit = sum(1 for label in truth if label in got)
        hits, total = hits + hit, total + len(truth)
        files.append({"file": pkt.stem, "type": rec.graph.kind, "fields": len(truth), "found": hit})
    return {"recall": round(hits / total, 3) if total else 0.0, "files": files}


def table(result: dict) -> str:
    lines = [independent.table(result["summary"])]
    lines += ["", "| figure | type | nodes | edges | confidence |", "|---|---|---|---|---|"]
    for fig in result["figures"]:
        lines.append(
            f"| {fig['file']} | {fig['type']} | {fig['nodes']} | {fig['edges']} | {fig['confidence']:.2f} |"
        )
    if result["packets"]:
        lines.append(
            f"\npacket field-name recall: {result['packets']['recall']:.3f} "
            f"over {len(result['packets']['files'])} ASCII packet figures"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="JSON results file")
    parser.add_argument(
        "--corpus", default=str(Path(__file__).resolve().parents[3] / "shared" / "corpus")
    )
    parser.add_argument("--max-corpus", type=int, default=40)
    parser.add_argument("--no-png", action="store_true")
    parser.add_argument("--work", default=None, help="where rendered files go (temp dir)")
    parser.add_argument("--show", action="store_true", help="print the worst diagrams")
    args = parser.parse_args()
    if not renderer_available():
        sys.exit("Mermaid renderer not installed: run scripts/install_mermaid.sh")
    result = run(args)
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(table(result))
    if args.show:
        for row in sorted(result["rows"], key=lambda r: r["score"])[:15]:
            print(row)


if __name__ == "__main__":
    main()
