"""GPU throughput probe: a training loop of its own on a random mid-size Qwen2.5-VL (offline,
< 5 min). It is NOT a run of ictrag.training and says nothing about the stage-1 trainer.

    python tests/benchmarks/gpu_stage1.py [--steps 300] [--batch 4] [--images DIR] [--max-seconds 240]

What it is: a hand-written loop (forward, backward, AdamW step; no ictrag.training code, no
Trainer, no LoRA/peft, no data collator of the project) that trains the full language model
of a randomly initialised Qwen2.5-VL (text: hidden 1024, 12 layers, Qwen's real 151,936-row
vocabulary; vision: 12 blocks, hidden 768, patch 14; vision frozen) with bf16 weights.
The tokenizer is a small one trained on the spot (600 tokens, tests/tiny_qwen.py), not
Qwen's, so a caption takes more tokens than it would with the real tokenizer and the
sequence lengths are not those of real stage-1 data. Samples are stage-1-like (a ~448x448
diagram image drawn with PIL, or PNGs from --images such as `ictrag synth mermaid` output;
the figure prompt; a sectioned caption answer; labels masked to the answer). Use it to check
what a GPU machine sustains (samples/s, tokens/s, peak memory, loss going down), not as a
measurement of the project's trainer or a forecast for a 7B model. Prints one JSON object.
Imports only torch, transformers, PIL and tests/tiny_qwen.py, so it runs where
pydantic/peft are absent.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import torch
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.tiny_qwen import CHAT_TEMPLATE, SPECIAL_TOKENS, train_tokenizer  # noqa: E402

SYSTEM = (
    "You read figures from ICT manuals (networking, telecom, protocols) and turn each one into "
    "logical text: its global meaning, its parts and its detailed relations. Use only names, "
    "labels and terms that are visible in the figure; never invent devices, messages or values. "
    "Answer in exactly the requested format, without any other prose."
)
USER = (
    "Describe this figure's structure: global (summary), partial (components), detailed "
    "(relations).\n\nUse only terms visible in the figure.\n\nAnswer in exactly this format:\n"
    "TYPE: <one of flowchart, sequence, topology, architecture, state, packet, table, chart, "
    "screenshot, photo, other>\nSUMMARY: <one or two sentences: what the whole figure shows>\n"
    "COMPONENTS:\n- <one component per line, named as in the figure>\nRELATIONS:\n"
    "- <source> -> <target> : <label of the edge, message or step>\nMERMAID:\n```mermaid\n"
    "<a Mermaid diagram of the figure>\n```"
)
NAMES = ["UE", "gNB", "AMF", "SMF", "UPF", "AUSF", "UDM", "PCF", "Core Router", "Access Switch",
         "Firewall", "DHCP Server", "RADIUS Server", "MME", "SGW", "PGW", "HSS", "Spine", "Leaf"]  # fmt: skip
LINKS = ["N1", "N2", "N3", "N4", "N11", "GE0/0/1", "S1-MME", "S11", "10GE1/0/2", "eth0", "Gx"]


def draw_sample(rng: random.Random, size: int) -> tuple[Image.Image, str]:
    """A box-and-arrow diagram and its sectioned caption."""
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    names = rng.sample(NAMES, rng.randint(4, 7))
    boxes = {}
    for i, name in enumerate(names):
        x, y = 20 + (i % 3) * (size // 3), 30 + (i // 3) * (size // 3)
        boxes[name] = (x, y, x + size // 4, y + 40)
        draw.rectangle(boxes[name], outline="black", width=2, fill=rng.choice(["#e3f2fd", "#fff3e0", "white"]))  # fmt: skip
        draw.text((x + 6, y + 14), name, fill="black")
    relations = []
    for a, b in zip(names, names[1:], strict=False):
        label = rng.choice(LINKS)
        (ax0, _, ax1, ay1), (bx0, by0, bx1, _) = boxes[a], boxes[b]
        start, end = ((ax0 + ax1) // 2, ay1), ((bx0 + bx1) // 2, by0)
        draw.line([start, end], fill="black", width=2)
        draw.text(((start[0] + end[0]) // 2, (start[1] + end[1]) // 2), label, fill="blue")
        relations.append((a, b, label))
    answer = "\n".join(
        [
            "TYPE: architecture",
            f"SUMMARY: An architecture diagram of {len(names)} components and {len(relations)} links.",
            "COMPONENTS:",
        ]  # fmt: skip
        + [f"- {n}" for n in names]
        + ["RELATIONS:"]
        + [f"- {a} -> {b} : {label}" for a, b, label in relations]
        + ["MERMAID:", "```mermaid", "flowchart TD"]
        + [
            f'  n{names.index(a)}["{a}"] -->|"{label}"| n{names.index(b)}["{b}"]'
            for a, b, label in relations
        ]  # fmt: skip
        + ["```"]
    )
    return image, answer


def build(args: argparse.Namespace):
    from transformers import (
        Qwen2_5_VLConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2_5_VLProcessor,
        Qwen2VLImageProcessor,
        Qwen2VLVideoProcessor,
    )

    tokenizer = train_tokenizer(600)
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIAL_TOKENS}
    pixels = {"min_pixels": 56 * 56, "max_pixels": args.image_size * args.image_size}
    common = {"patch_size": 14, "merge_size": 2, "temporal_patch_size": 2}
    processor = Qwen2_5_VLProcessor(
        image_processor=Qwen2VLImageProcessor(**common, **pixels),
        tokenizer=tokenizer,
        video_processor=Qwen2VLVideoProcessor(**common, **pixels),
        chat_template=CHAT_TEMPLATE,
    )
    hidden, heads = args.hidden, args.hidden // 64
    half = hidden // heads // 2
    text = {
        "vocab_size": 151936,  # Qwen2.5's real embedding/LM-head size; the tokenizer uses a few
        "hidden_size": hidden, "intermediate_size": int(hidden * 2.75) // 64 * 64,
        "num_hidden_layers": args.layers, "num_attention_heads": heads,
        "num_key_value_heads": max(1, heads // 4), "max_position_embeddings": 32768,
        "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [half - 2 * (half // 3), half // 3, half // 3]},  # fmt: skip
        "bos_token_id": ids["<|endoftext|>"], "eos_token_id": ids["<|im_end|>"], "pad_token_id": ids["<|endoftext|>"],  # fmt: skip
        "tie_word_embeddings": False,
    }  # fmt: skip
    vision = {
        "depth": args.vision_depth, "hidden_size": 768, "intermediate_size": 3072, "num_heads": 12,
        "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2, "window_size": 112,
        "out_hidden_size": hidden, "fullatt_block_indexes": [i for i in range(args.vision_depth) if i % 4 == 3],  # fmt: skip
    }  # fmt: skip
    config = Qwen2_5_VLConfig(
        text_config=text, vision_config=vision, image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"], vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"], tie_word_embeddings=False,
    )  # fmt: skip
    torch.manual_seed(0)
    with torch.device(args.device):
        model = Qwen2_5_VLForConditionalGeneration(config).to(torch.bfloat16)
    return model, processor


def encode(processor, image: Image.Image, answer: str, max_length: int) -> dict:
    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": USER}]},
    ]
    prompt = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    encoded = processor(text=[prompt], images=[image], return_tensors="pt")
    prompt_ids = encoded["input_ids"][0].tolist()
    answer_ids = processor.tokenizer(answer + "<|im_end|>\n", add_special_tokens=False)["input_ids"]
    answer_ids = answer_ids[: max(1, max_length - len(prompt_ids))]
    return {
        "input_ids": prompt_ids + answer_ids,
        "labels": [-100] * len(prompt_ids) + answer_ids,
        "mm": encoded["mm_token_type_ids"][0].tolist() + [0] * len(answer_ids)
        if "mm_token_type_ids" in encoded
        else None,  # fmt: skip
        "pixel_values": encoded["pixel_values"],
        "image_grid_thw": encoded["image_grid_thw"],
    }


def collate(items: list[dict], pad_id: int) -> dict:
    width = max(len(i["input_ids"]) for i in items)

    def pad(key, value):
        return torch.tensor([i[key] + [value] * (width - len(i[key])) for i in items])

    batch = {
        "input_ids": pad("input_ids", pad_id),
        "labels": pad("labels", -100),
        "attention_mask": torch.tensor(
            [[1] * len(i["input_ids"]) + [0] * (width - len(i["input_ids"])) for i in items]
        ),  # fmt: skip
        "pixel_values": torch.cat([i["pixel_values"] for i in items]).to(torch.bfloat16),
        "image_grid_thw": torch.cat([i["image_grid_thw"] for i in items]),
    }
    if all(i["mm"] is not None for i in items):
        batch["mm_token_type_ids"] = pad("mm", 0)
    return batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--warmup-steps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--image-size", type=int, default=448)
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument("--vision-depth", type=int, default=12)
    parser.add_argument("--max-length", type=int, default=2048)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--images", type=Path, default=None, help="PNG folder (e.g. synth output images/)")  # fmt: skip
    parser.add_argument("--max-seconds", type=float, default=240.0, help="stop the timed loop early")  # fmt: skip
    parser.add_argument("--train-vision", action="store_true")
    parser.add_argument("--device", default="cuda", help="cpu only for a smoke test of the script")
    args = parser.parse_args()
    cuda = args.device == "cuda"
    if cuda and not torch.cuda.is_available():
        print(json.dumps({"error": "no CUDA device"}))
        sys.exit(1)
    started = time.time()
    model, processor = build(args)
    model.config.use_cache = False
    for name, parameter in model.named_parameters():
        parameter.requires_grad = args.train_vision or "visual" not in name
    rng = random.Random(0)
    files = sorted(args.images.glob("*.png"))[: args.samples] if args.images else []
    samples = []
    prep_start = time.time()
    for index in range(args.samples):
        image, answer = draw_sample(rng, args.image_size)
        if files:
            with Image.open(files[index % len(files)]) as opened:
                image = opened.convert("RGB")  # the processor caps it at image_size**2 pixels
        samples.append(encode(processor, image, answer, args.max_length))
    prep_seconds = time.time() - prep_start
    pad_id = processor.tokenizer.pad_token_id
    batches = [collate(samples[i : i + args.batch], pad_id) for i in range(0, len(samples) - args.batch + 1, args.batch)]  # fmt: skip
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.0)
    model.train()
    losses, tokens, timed_steps, timed_samples = [], 0, 0, 0
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    t0 = None
    for step in range(args.steps):
        if step == args.warmup_steps:
            if cuda:
                torch.cuda.synchronize()
            t0 = time.time()
        batch = {
            k: v.to(args.device, non_blocking=True) for k, v in batches[step % len(batches)].items()
        }
        loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))
        if t0 is not None:
            timed_steps += 1
            timed_samples += batch["input_ids"].shape[0]
            tokens += int(batch["attention_mask"].sum())
            if time.time() - t0 > args.max_seconds:
                break
    if cuda:
        torch.cuda.synchronize()
    seconds = time.time() - t0 if t0 else 0.0
    window = max(1, min(10, len(losses) // 4))
    report = {
        "benchmark": "gpu_stage1",
        "device": torch.cuda.get_device_name(0) if cuda else "cpu",
        "params_total_m": round(sum(p.numel() for p in model.parameters()) / 1e6, 1),
        "params_trainable_m": round(sum(p.numel() for p in trainable) / 1e6, 1),
        "batch": args.batch,
        "image_size": args.image_size,
        "images": "rendered" if files else "drawn",
        "mean_seq_len": round(sum(len(s["input_ids"]) for s in samples) / len(samples), 1),
        "image_tokens_per_sample": int(samples[0]["image_grid_thw"].prod()) // 4,
        "steps": len(losses),
        "timed_steps": timed_steps,
        "timed_seconds": round(seconds, 2),
        "samples_per_s": round(timed_samples / seconds, 2) if seconds else None,
        "tokens_per_s": round(tokens / seconds, 1) if seconds else None,
        "preprocess_samples_per_s": round(args.samples / prep_seconds, 2),
        "peak_gpu_mem_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
        "loss_first": round(sum(losses[:window]) / window, 4),
        "loss_last": round(sum(losses[-window:]) / window, 4),
        "wall_seconds": round(time.time() - started, 1),
        "torch": torch.__version__,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
