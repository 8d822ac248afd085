"""Writes the safetensors fixtures of Tests/CoreTests/Checkpoint/SafeTensorsTests.swift with the
Python `safetensors` package (pip install safetensors numpy; run from this folder):

  mixed.safetensors    every float type and some integer types, with __metadata__; mixed.json
                       lists each tensor's dtype, shape and values (floats as the bit patterns of
                       the float32 values Tandem must read)
  written.safetensors  F32 and I64 tensors as a PyTorch state dict has them; Tandem's writer must
                       produce these bytes exactly from written.json's values
"""
import json
import numpy as np
from safetensors.numpy import save

mixed = {
    "conv.weight": np.arange(-3, 3, dtype=np.float32).reshape(2, 3) / 4,
    "double": np.array([0.1, -2.5, 1e-3], dtype=np.float64),
    "half": np.array([1.0, -0.5, 6.1e-05, 5.96e-08, np.inf, -0.0, 65504.0], dtype=np.float16),
    "brain": np.array([1.0, -3.140625, 1.5e10], dtype=np.float32),  # stored as BF16 below
    "bn.num_batches_tracked": np.array(7, dtype=np.int64),
    "mask": np.array([0, 1, 255], dtype=np.uint8),
    "small": np.array([-5, 7], dtype=np.int16),
}
tensors = {k: v for k, v in mixed.items() if k != "brain"}
# numpy has no bfloat16: keep the top 16 bits of each float32 (exact for these values' truncation).
brain_bits = (mixed["brain"].view(np.uint32) >> 16).astype(np.uint16)
blob = save(tensors | {"brain": brain_bits}, metadata={"format": "pt"})
# Relabel the uint16 tensor as BF16 in the header (same size, so offsets stay valid).
n = int.from_bytes(blob[:8], "little")
header = json.loads(blob[8:8 + n])
assert header["brain"]["dtype"] == "U16"
header["brain"]["dtype"] = "BF16"
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * ((8 - len(text) % 8) % 8)
blob = len(text).to_bytes(8, "little") + text + blob[8 + n:]
open("mixed.safetensors", "wb").write(blob)

def expected(name, value):
    if name == "brain":
        value = (brain_bits.astype(np.uint32) << 16).view(np.float32)
        dtype = "BF16"
    else:
        dtype = {np.float32: "F32", np.float64: "F64", np.float16: "F16", np.int64: "I64",
                 np.uint8: "U8", np.int16: "I16"}[value.dtype.type]
    if value.dtype.kind == "f":  # the float32 values as bit patterns (exact, and JSON has no inf)
        return {"dtype": dtype, "shape": list(value.shape),
                "float32_bits": [int(x) for x in value.astype(np.float32).ravel().view(np.uint32)]}
    return {"dtype": dtype, "shape": list(value.shape), "integers": [int(x) for x in value.ravel()]}

json.dump({"metadata": {"format": "pt"}, "tensors": {k: expected(k, v) for k, v in mixed.items()}},
          open("mixed.json", "w"), indent=1)

written = {
    "encoder.0.weight": (np.arange(12, dtype=np.float32).reshape(3, 2, 2) - 5) / 8,
    "encoder.0.bias": np.array([0.25, -1.5, 3.0], dtype=np.float32),
    "head.weight": np.array([[1e-3, -2e5]], dtype=np.float32),
    "encoder.1.num_batches_tracked": np.array(12, dtype=np.int64),
}
open("written.safetensors", "wb").write(save(written, metadata={"format": "pt"}))
json.dump({"metadata": {"format": "pt"}, "tensors": {k: expected(k, v) for k, v in written.items()}},
          open("written.json", "w"), indent=1)
