#!/usr/bin/env bash
# The kernel sweep's optional kernels through the headless CLI (no X server): a scene file that switches MLK and
# cosine on exports the sweep view as PNG (settings kept in its metadata) and SVG, and its sweep.csv carries MLK and
# cosine curves equal to an independent NumPy computation over all 181 angles; with the kernels off the CSV has only
# DPA, EA and MGK.
# usage: export_sweep_kernels_test.sh ATTNSCOPE PYTHON3 PNG_TEXT_PY
set -euo pipefail
app=$1
python=$2
png_text=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset DISPLAY WAYLAND_DISPLAY
fail() { echo "FAIL: $*" >&2; exit 1; }

# q = (1, 0); key 0 = (0.6, 0.8) swept, key 1 = (0, 1) fixed; one Gaussian component (zero shift, prior 1) for MLK;
# cosine temperature 0.5.
write_scene() {  # write_scene FILE SHOW_OPTIONAL(true|false)
  cat >"$1" <<JSON
{"format": "attnscope-scene", "version": 1, "dimension": 2,
 "queries": [[1.0, 0.0]], "keys": [[0.6, 0.8], [0.0, 1.0]], "queryLabels": ["q"], "keyLabels": ["swept", "fixed"],
 "selectedQuery": 0, "selectedKey": 0, "views": ["sweep"],
 "kernel": {"cosineTemperature": 0.5,
            "mgk": {"components": 1, "shifts": [[0.0, 0.0]], "priors": [[1.0], [1.0]], "variances": [[1.0], [1.0]]}},
 "display": {"sweepShowMlk": $2, "sweepShowCosine": $2}}
JSON
}

write_scene "$work/on.json" true
mkdir "$work/on" "$work/off"
"$app" export --scene "$work/on.json" --view sweep --out "$work/on.png" --width 1000 --height 700 --data "$work/on"
[[ $("$python" "$png_text" --size "$work/on.png") == "1000 700" ]] || fail "sweep PNG has the wrong size"
"$python" "$png_text" "$work/on.png" attnscope-scene >"$work/meta.json"
"$python" - "$work/meta.json" <<'PY' || fail "the PNG's scene lost the sweep settings"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["display"]["sweepShowMlk"] is True and s["display"]["sweepShowCosine"] is True, s["display"]
assert abs(s["kernel"]["cosineTemperature"] - 0.5) < 1e-7, s["kernel"]
PY
"$app" export --scene "$work/on.json" --view sweep --out "$work/on.svg"
# The optional kernels' Okabe-Ito colours (orange 230,159,0 and yellow 240,228,66) are in the vector file.
grep -qi -e "#e69f00" -e "rgb(230, *159, *0)" "$work/on.svg" || fail "no MLK (orange) curve in the SVG"
grep -qi -e "#f0e442" -e "rgb(240, *228, *66)" "$work/on.svg" || fail "no cosine (yellow) curve in the SVG"

"$python" - "$work/on/sweep.csv" <<'PY' || fail "MLK / cosine sweep differs from the NumPy reference"
import csv, sys
import numpy as np

rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 181, len(rows)
for column in ("mlk_weight", "mlk_score", "cosine_weight", "cosine_score"):
    assert column in rows[0], f"missing column {column}: {list(rows[0])}"
got = {c: np.array([float(r[c]) for r in rows]) for c in ("angle_deg", "mlk_weight", "mlk_score", "cosine_weight",
                                                           "cosine_score")}

q = np.array([1.0, 0.0])
swept, fixed = np.array([0.6, 0.8]), np.array([0.0, 1.0])
e1 = q / np.linalg.norm(q)
e2 = swept - swept.dot(e1) * e1
e2 /= np.linalg.norm(e2)
theta = np.radians(np.linspace(0.0, 180.0, 181))
keys = np.linalg.norm(swept) * (np.cos(theta)[:, None] * e1 + np.sin(theta)[:, None] * e2)  # 181 x 2

phi = lambda x: np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))  # elu + 1
mlk_swept = phi(keys) @ phi(q)
mlk_fixed = phi(fixed) @ phi(q)
cos_swept = keys @ q / (np.linalg.norm(keys, axis=1) * np.linalg.norm(q))
cos_fixed = fixed @ q / (np.linalg.norm(fixed) * np.linalg.norm(q))
tau = 0.5
expected = {
    "angle_deg": np.linspace(0.0, 180.0, 181),
    "mlk_score": mlk_swept,
    "mlk_weight": mlk_swept / (mlk_swept + mlk_fixed),
    "cosine_score": cos_swept / tau,
    "cosine_weight": 1.0 / (1.0 + np.exp((cos_fixed - cos_swept) / tau)),
}
for column, want in expected.items():
    err = np.max(np.abs(got[column] - want))
    assert err < 2e-5, f"{column}: max error {err}"
# The hand values at 0 / 90 / 180 degrees (tests/gui/derived_sweep_test.cpp derives them).
assert abs(got["mlk_weight"][0] - 5 / 9) < 1e-5 and abs(got["mlk_weight"][90] - 0.5) < 1e-5
assert abs(got["cosine_weight"][180] - 0.119203) < 1e-5
PY

write_scene "$work/off.json" false
"$app" export --scene "$work/off.json" --view sweep --out "$work/off.png" --data "$work/off"
head -1 "$work/off/sweep.csv" | grep -q -e mlk -e cosine && fail "optional columns written while the kernels are off"
head -1 "$work/off/sweep.csv" | grep -q "dpa_weight,ea_weight,mgk_weight" || fail "off: unexpected CSV header"
echo "sweep optional-kernel export checks passed"
