"""Writes a tiny text-classification model in the Hugging Face layout transformers.js loads
(config.json, tokenizer.json, onnx/model.onnx), so the toxicity metric's real ONNX Runtime path can be
tested offline. logits = bias + sum over unmasked tokens of WEIGHTS[token]; labels nothate / hate."""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

VOCAB = ["<unk>", "<pad>", "hate", "awful", "love", "kind", "the", "you", "i"]
# Per token: [nothate, hate] logit contributions.
WEIGHTS = {
    "<unk>": [0.1, 0.0], "<pad>": [0.0, 0.0], "hate": [0.0, 2.5], "awful": [0.0, 1.5],
    "love": [1.5, 0.0], "kind": [1.0, 0.0], "the": [0.2, 0.1], "you": [0.1, 0.3], "i": [0.1, 0.1],
}
BIAS = [0.5, -0.5]


def main(out):
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    w = numpy_helper.from_array(np.array([WEIGHTS[t] for t in VOCAB], dtype=np.float32), "weights")
    b = numpy_helper.from_array(np.array(BIAS, dtype=np.float32), "bias")
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")
    nodes = [
        helper.make_node("Gather", ["weights", "input_ids"], ["per_token"]),  # [b, s, 2]
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask_f", "axis2"], ["mask3"]),
        helper.make_node("Mul", ["per_token", "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axes"], ["summed"], keepdims=0),  # [b, 2]
        helper.make_node("Add", ["summed", "bias"], ["logits"]),
    ]
    axis2 = numpy_helper.from_array(np.array([2], dtype=np.int64), "axis2")
    graph = helper.make_graph(
        nodes,
        "tiny_classifier",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"]),
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 2])],
        initializer=[w, b, axes, axis2],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "onnx", "model.onnx"))

    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump({
            "model_type": "bert",
            "architectures": ["BertForSequenceClassification"],
            "id2label": {"0": "nothate", "1": "hate"},
            "label2id": {"nothate": 0, "hate": 1},
        }, f)
    special = lambda i, t: {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
    with open(os.path.join(out, "tokenizer.json"), "w") as f:
        json.dump({
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [special(0, "<unk>"), special(1, "<pad>")],
            "normalizer": {"type": "Lowercase"},
            "pre_tokenizer": {"type": "Whitespace"},
            "post_processor": None,
            "decoder": None,
            "model": {"type": "WordLevel", "vocab": {t: i for i, t in enumerate(VOCAB)}, "unk_token": "<unk>"},
        }, f)
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump({"model_max_length": 512, "pad_token": "<pad>", "unk_token": "<unk>", "tokenizer_class": "PreTrainedTokenizerFast"}, f)
    print(json.dumps({"vocab": VOCAB, "weights": WEIGHTS, "bias": BIAS}))


if __name__ == "__main__":
    main(sys.argv[1])
