"""Build a tiny, random-weight Qwen2.5-VL (model + processor) offline, in seconds on CPU.

Used by the captioner tests and the training tests: the architecture, tokenizer special
tokens and processor are the real Qwen2.5-VL ones, only the sizes are tiny and the weights
random, so every code path that loads a DICModel can run without a model hub.
"""

from __future__ import annotations

from pathlib import Path

SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
]

# Qwen2.5-VL-Instruct's own chat template (chat_template.json of Qwen/Qwen2.5-VL-*-Instruct,
# the same as Qwen2-VL-7B-Instruct's), verbatim: see tests/data/README.md for its source.
CHAT_TEMPLATE = (Path(__file__).parent / "data" / "qwen2_5_vl_chat_template.jinja").read_text()

ICT_TEXT = """\
The router forwards IP packets between the LAN and the WAN interface. Each switch port
belongs to a VLAN; trunk ports carry tagged 802.1Q frames. OSPF area 0 is the backbone
area; ABR routers connect other areas to it. BGP peers exchange routes over TCP port 179.
The firewall inspects TCP, UDP and ICMP traffic and applies NAT on the outside interface.
GigabitEthernet0/1 connects to the core switch; eth0 has address 10.0.0.1/24.
The UE sends an RRC Connection Request to the eNodeB; the MME authenticates the UE with
the HSS and the S-GW and P-GW set up the default bearer. SIP INVITE, 100 Trying, 180
Ringing, 200 OK and ACK establish a call. The DHCP client sends DISCOVER, the server
answers OFFER, the client REQUESTs and the server ACKs. DNS resolves names to addresses.
TYPE: topology SUMMARY: COMPONENTS: RELATIONS: flowchart TD A[Router] --> B[Switch]
sequenceDiagram participant Client participant Server Client->>Server: SYN
stateDiagram-v2 [*] --> Idle Idle --> Connected : open Connected --> Idle : close
"""


def train_tokenizer(vocab_size: int = 600, corpus: str = ICT_TEXT):
    """A byte-level BPE tokenizer with the Qwen2.5-VL special tokens, as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus.splitlines() * 4, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        additional_special_tokens=SPECIAL_TOKENS[1:],
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.padding_side = "left"
    return fast


def build_tiny_qwen(
    dir: Path,
    *,
    hidden_size: int = 64,
    num_layers: int = 2,
    num_heads: int = 4,
    vision_hidden_size: int = 32,
    vision_depth: int = 2,
    vision_heads: int = 2,
    patch_size: int = 8,
    merge_size: int = 2,
    vocab_size: int = 600,
    model_vocab_size: int | None = None,
    max_pixels: int = 64 * 64,
    min_pixels: int = 16 * 16,
    seed: int = 0,
) -> Path:
    """Write a random-weight Qwen2.5-VL model and its processor into `dir`; return `dir`.

    `AutoProcessor.from_pretrained(dir)` and `AutoModelForImageTextToText.from_pretrained(dir)`
    load the result. head_dim = hidden_size / num_heads must be divisible by 4 (mrope).
    `model_vocab_size`: embedding rows beyond the tokenizer's, as Qwen pads its 151,665
    tokens to 151,936 rows (the GPU check uses the real size without the real tokenizer).
    """
    import torch
    from transformers import (
        Qwen2_5_VLConfig,
        Qwen2_5_VLForConditionalGeneration,
        Qwen2_5_VLProcessor,
        Qwen2VLImageProcessor,
        Qwen2VLVideoProcessor,
    )

    dir = Path(dir)
    dir.mkdir(parents=True, exist_ok=True)
    tokenizer = train_tokenizer(vocab_size)
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIAL_TOKENS}
    pixels = {"min_pixels": min_pixels, "max_pixels": max_pixels}
    common = {"patch_size": patch_size, "merge_size": merge_size, "temporal_patch_size": 2}
    image_processor = Qwen2VLImageProcessor(**common, **pixels)
    video_processor = Qwen2VLVideoProcessor(**common, **pixels)
    processor = Qwen2_5_VLProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        chat_template=CHAT_TEMPLATE,
    )

    half_head = hidden_size // num_heads // 2
    mrope = [half_head - 2 * (half_head // 3), half_head // 3, half_head // 3]
    text_config = {
        "vocab_size": max(len(tokenizer), model_vocab_size or 0),
        "hidden_size": hidden_size,
        "intermediate_size": hidden_size * 2,
        "num_hidden_layers": num_layers,
        "num_attention_heads": num_heads,
        "num_key_value_heads": max(1, num_heads // 2),
        "max_position_embeddings": 4096,
        "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": mrope},
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
        "tie_word_embeddings": False,
    }
    vision_config = {
        "depth": vision_depth,
        "hidden_size": vision_hidden_size,
        "intermediate_size": vision_hidden_size * 2,
        "num_heads": vision_heads,
        "patch_size": patch_size,
        "spatial_merge_size": merge_size,
        "temporal_patch_size": 2,
        "window_size": patch_size * merge_size * 2,
        "out_hidden_size": hidden_size,
        "fullatt_block_indexes": [vision_depth - 1],
    }
    config = Qwen2_5_VLConfig(
        text_config=text_config,
        vision_config=vision_config,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    model.generation_config.do_sample = False
    model.save_pretrained(dir)
    processor.save_pretrained(dir)
    return dir


def build_tiny_lora(model_dir: Path, out_dir: Path, *, r: int = 4, seed: int = 1) -> Path:
    """A random LoRA adapter (q_proj, v_proj) for the model in `model_dir`, saved to `out_dir`."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForImageTextToText

    torch.manual_seed(seed)
    base = AutoModelForImageTextToText.from_pretrained(model_dir, local_files_only=True)
    config = LoraConfig(
        r=r, lora_alpha=2 * r, target_modules=["q_proj", "v_proj"], init_lora_weights=False
    )
    peft_model = get_peft_model(base, config)
    out_dir = Path(out_dir)
    peft_model.save_pretrained(out_dir)
    return out_dir
