"""Damage a tiny model's single-file checkpoint in one specific way.

usage: corrupt_checkpoint.py MODEL_DIR MODE
MODE: truncate | header-past-end | overlap | out-of-range | unknown-dtype |
      drop-tensor | shape-mismatch | not-json | nan-weight | huge-weight
The bad-input tests expect helix-run to refuse each with one error line.
"""
import json
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + length]), data[8 + length:]


def write(path, header, payload):
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + payload)


def tensors(header):
    return sorted(k for k in header if k != "__metadata__")


def main():
    model, mode = sys.argv[1], sys.argv[2]
    path = model + "/model.safetensors"
    header, payload = read(path)
    names = tensors(header)
    if mode == "truncate":
        write(path, header, payload[: len(payload) // 2])
    elif mode == "header-past-end":
        with open(path, "r+b") as f:
            f.write(struct.pack("<Q", 1 << 40))
    elif mode == "overlap":
        a, b = names[0], names[1]
        header[b]["data_offsets"] = list(header[a]["data_offsets"])
        write(path, header, payload)
    elif mode == "out-of-range":
        end = header[names[-1]]["data_offsets"][1]
        size = end - header[names[-1]]["data_offsets"][0]
        header[names[-1]]["data_offsets"] = [end + 64, end + 64 + size]
        write(path, header, payload)
    elif mode == "unknown-dtype":
        header[names[0]]["dtype"] = "F8_E4M3"
        write(path, header, payload)
    elif mode == "drop-tensor":
        victim = next(n for n in names if n.endswith("mlp.down_proj.weight"))
        del header[victim]
        write(path, header, payload)
    elif mode == "shape-mismatch":
        # Same bytes, transposed shape: valid safetensors, wrong for config.
        victim = next(n for n in names if n.endswith("mlp.down_proj.weight"))
        rows, cols = header[victim]["shape"]
        header[victim]["shape"] = [cols, rows]
        write(path, header, payload)
    elif mode == "not-json":
        with open(path, "r+b") as f:
            f.seek(8)
            f.write(b"#")
    elif mode == "nan-weight":
        # A valid file whose final norm holds NaNs (F32 or half: all-ones
        # bits are NaN in both).
        begin, end = header["model.norm.weight"]["data_offsets"]
        payload = payload[:begin] + b"\xff" * (end - begin) + payload[end:]
        write(path, header, payload)
    elif mode == "huge-weight":
        # Finite weights (F32 3e38) that overflow the activations to inf, and
        # the logits to NaN (inf - inf), in the first step.
        info = header["model.norm.weight"]
        assert info["dtype"] == "F32"
        begin, end = info["data_offsets"]
        huge = struct.pack("<f", 3e38) * ((end - begin) // 4)
        payload = payload[:begin] + huge + payload[end:]
        write(path, header, payload)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
