#!/usr/bin/env bash
# End-to-end interop with Python TensorFlow: exports GraphDefs, a SavedModel and a short training
# run, then reads them with Python TF / TensorBoard. Needs python3 with tensorflow-cpu, safetensors
# and tensorboard (python3 -m pip install tensorflow-cpu safetensors tensorboard), and for two checks
# torch and pillow. Not part of
# `mvn test`, which must pass on machines without Python TF; `.ci/run` runs it in a venv it makes.
# The checks run in two lanes at once (independent artifacts; most of each check is one process
# starting TensorFlow, so two cores take two lanes); each lane's lines are printed when it ends.
# Exits non-zero when any check fails.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export TF_CPP_MIN_LOG_LEVEL=3
# one line per check, PASS or FAIL, in the lane's log and its results file (the scripts' own
# lines say PASS too: only these are counted)
check() {
  local r=FAIL
  if "$@"; then r=PASS; fi
  echo "$r $*"
  echo "$r $*" >>"$results"
}

# the text signatures of a version against Java's encoding of the edge-case texts (TextCasesDump)
text_check() {
  local version="$1"
  shift
  java -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -cp "target/longshort.jar:target/lib/*:target/test-classes" \
    io.longshort.export.TextCasesDump "$version" "$version.cases.json" >/dev/null
  check python3 scripts/check_text_signatures_python.py "$version" "$version.cases.json" "$@"
}

# the LRA models: GraphDefs, the imported authors' weights exported plain, --xla, --bf16 and
# --xla --bf16 (within bf16 tolerance of float32), and a short training run's TensorBoard events
# and export
lra_lane() {
  scripts/longshort export-graphs --spec lra_listops,lra_retrieval --batch 2 --length 500 --examples --out "$work/graphs" >/dev/null
  for m in lra_listops lra_retrieval; do
    check python3 scripts/check_graphdef_python.py "$work/graphs/$m.pb" "$work/graphs/$m.example.safetensors"
  done

  scripts/longshort import-lra --weights ../shared/golden/lra/listops_cls_last_layer.safetensors --out "$work/bundle" >/dev/null
  scripts/longshort export --bundle "$work/bundle" --name listops --out "$work/savedmodels" >/dev/null
  check python3 scripts/check_savedmodel_python.py "$work/savedmodels/listops/1"
  # text signatures: raw strings (edge cases) give the id signature's logits for Java's encoding, in
  # TF2 and TF1; classify takes tf.Example as TF Serving's classifier feeds it; the ListOps
  # vocabulary asset is remapped (the script loads a moved copy)
  text_check "$work/savedmodels/listops/1"
  scripts/longshort import-lra --weights ../shared/golden/lra/retrieval_dual.safetensors --out "$work/bundle_retrieval" >/dev/null
  scripts/longshort export --bundle "$work/bundle_retrieval" --name retrieval --length 64 --out "$work/savedmodels" >/dev/null
  text_check "$work/savedmodels/retrieval/1"
  # an LRA text classifier trained from a user's JSONL, CSV and TFRecord with string labels answers
  # a Python string request with the label names (and classify reads the export's --text-feature)
  python3 scripts/make_text_files_python.py "$work/userdata" >/dev/null
  for form in jsonl csv tfrecord; do
    scripts/longshort train --spec lra_text --train-file "$work/userdata/train.$form" --valid-file "$work/userdata/valid.$form" \
      --text-field review --label-field sentiment --length 64 --batch 8 --steps 4 --eval-every 4 --run "$work/user_$form" >/dev/null
    scripts/longshort export --run "$work/user_$form" --name "user_$form" --text-feature review --out "$work/savedmodels" >/dev/null
    text_check "$work/savedmodels/user_$form/1" --labels neg,pos --feature review
  done
  # TFLite: MLIR's SavedModel import and the converter (builtin ops; the script names any select TF op)
  check python3 scripts/check_tflite_python.py "$work/savedmodels/listops/1"
  # export --xla (signatures call must-compile functions: the outputs of the plain graph, compiled by
  # XLA in TF2 and for TF1's warm-up run)
  scripts/longshort export --bundle "$work/bundle" --name listops_xla --xla --out "$work/savedmodels" >/dev/null
  check python3 scripts/check_savedmodel_python.py "$work/savedmodels/listops_xla/1"
  check python3 scripts/check_tflite_python.py "$work/savedmodels/listops_xla/1"
  scripts/longshort export --bundle "$work/bundle" --name listops_bf16 --bf16 --out "$work/savedmodels" >/dev/null
  check python3 scripts/check_savedmodel_python.py "$work/savedmodels/listops_bf16/1" --bf16-of "$work/savedmodels/listops/1"
  scripts/longshort export --bundle "$work/bundle" --name listops_xla_bf16 --xla --bf16 --out "$work/savedmodels" >/dev/null
  check python3 scripts/check_savedmodel_python.py "$work/savedmodels/listops_xla_bf16/1" --bf16-of "$work/savedmodels/listops/1"

  scripts/longshort train --listops "$work/listops" --generate 300 --min-tokens 20 --max-tokens 200 --length 200 \
    --batch 8 --steps 20 --eval-every 10 --run "$work/run" >/dev/null
  check python3 scripts/check_tensorboard_python.py "$work/run"
  scripts/longshort export --run "$work/run" --name trained --out "$work/savedmodels" >/dev/null
  check python3 scripts/check_savedmodel_python.py "$work/savedmodels/trained/1"
  check python3 scripts/check_tflite_python.py "$work/savedmodels/trained/1"
}

# a byte LM (a few steps on this repository's README): greedy generation from the SavedModel's
# generate signature in TF2 and TF1 equals Java's; the compiled generate step (and serving_default)
# of the same LM, float32 and bf16; then the example and the weights converter
lm_lane() {
  scripts/longshort train --spec char_lm_small --corpus README.md --length 128 --batch 4 --steps 5 --eval-every 5 \
    --run "$work/lm_run" >/dev/null
  scripts/longshort export --run "$work/lm_run" --name lm --out "$work/lm_savedmodels" >/dev/null
  check python3 scripts/check_generate_python.py "$work/lm_savedmodels/lm/1"
  check python3 scripts/check_generate_refusals_python.py "$work/lm_savedmodels/lm/1"
  # score_text and generate_text against serving_default's log-probs and generate's greedy bytes
  text_check "$work/lm_savedmodels/lm/1"
  # models.config through TF Serving's messages: a hostile --serving-base-path stays one model's path
  hostile=$'/models" }\n  config { name: "evil'
  scripts/longshort export --run "$work/lm_run" --name lm --out "$work/hostile" --serving-base-path "$hostile" >/dev/null
  check python3 scripts/check_serving_config_python.py "$work/hostile" --base-path "$hostile"
  check python3 scripts/check_savedmodel_python.py "$work/lm_savedmodels/lm/1"
  scripts/longshort export --run "$work/lm_run" --name lm_xla --xla --out "$work/lm_savedmodels" >/dev/null
  check python3 scripts/check_generate_python.py "$work/lm_savedmodels/lm_xla/1"
  check python3 scripts/check_generate_refusals_python.py "$work/lm_savedmodels/lm_xla/1"
  check python3 scripts/check_savedmodel_python.py "$work/lm_savedmodels/lm_xla/1"
  scripts/longshort export --run "$work/lm_run" --name lm_xla_bf16 --xla --bf16 --out "$work/lm_savedmodels" >/dev/null
  check python3 scripts/check_generate_python.py "$work/lm_savedmodels/lm_xla_bf16/1" --bf16-of "$work/lm_savedmodels/lm/1"
  check python3 scripts/check_savedmodel_python.py "$work/lm_savedmodels/lm_xla_bf16/1" --bf16-of "$work/lm_savedmodels/lm/1"

  # the authors' LM: train-lm a few truncated-BPTT steps of a tiny model on README.md, export the run
  # (score, generate, score_text, generate_text; static batch 2, capacity 128 = 4 blocks) and check its
  # text signatures against score's log-probs and generate's greedy bytes for Java's encoding
  cat >"$work/tiny_lm.json" <<'JSON'
{"name": "tiny", "gpus": 1, "seed": 3,
 "model": {"kind": "transformer_ls_lm", "vocab_size": 256, "d_model": 16, "d_inner": 32, "n_head": 2, "n_layer": 2,
           "mem_len": 32, "window_len": 16, "chunk_size": 8, "chunk_rank": 1, "dropout": 0.1, "emb_dropout": 0.1,
           "use_bias": false, "pre_ln": true, "use_gelu": true, "clamp_len": -1, "cpos_clamp_len": -1},
 "phases": [{"block": 32, "memLen": 32, "batchPerGpu": 2, "updateFreq": 1, "updates": 4, "dropout": 0.1,
             "optimizer": {"type": "adamw", "learningRate": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-08,
                           "weightDecay": 0.01, "momentum": 0.0, "schedule": "constant", "warmupSteps": 1,
                           "totalSteps": 4, "clipNorm": 0.0, "accumulationSteps": 1}}]}
JSON
  scripts/longshort train-lm --lm "$work/tiny_lm.json" --corpus README.md --split all --run "$work/authors_lm_run" \
    --steps 4 --checkpoint-every 4 >/dev/null
  scripts/longshort export --run "$work/authors_lm_run" --name authors_lm --batch 2 --length 128 \
    --out "$work/lm_savedmodels" >/dev/null
  text_check "$work/lm_savedmodels/authors_lm/1"

  # examples/: a model composed in Java (MixedAttentionClassifier), trained by the loop and exported;
  # Python TF loads it with its variables and a few Adam steps through its signature lower the loss
  java -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -cp "target/longshort.jar:target/lib/*:target/test-classes" \
    io.longshort.examples.MixedAttentionClassifier --run "$work/example_run" --export "$work/example" --steps 150 >/dev/null
  check python3 scripts/check_example_python.py "$work/example/mixed_attention/1"

  # scripts/pth_to_safetensors.py loads weights only (needs torch)
  check python3 tests/pth_to_safetensors_test.py

  # eval-image's preprocessing (the authors' bicubic resize of the shorter side to int(S / 0.875),
  # centre crop, ImageNet normalisation) and train-image's squash, against Pillow pixel by pixel
  # (needs pillow, numpy, torch)
  python3 scripts/check_image_preprocessing_python.py make "$work/preprocess" >/dev/null
  java -cp "target/longshort.jar:target/lib/*:target/test-classes" io.longshort.data.images.PreprocessingDump \
    "$work/preprocess" 24 "$work/preprocess.safetensors" >/dev/null
  check python3 scripts/check_image_preprocessing_python.py check "$work/preprocess" 24 "$work/preprocess.safetensors"
}

# build once before the lanes start, so that they do not both build
scripts/longshort --help >/dev/null
[[ -d target/test-classes/io/longshort/examples && -f target/test-classes/io/longshort/data/images/PreprocessingDump.class \
  && -f target/test-classes/io/longshort/export/TextCasesDump.class ]] \
  || mvn -B -q -DskipTests test-compile >&2
# each lane stops at its first failing command (set -e), so a failed export leaves its checks unrun
for lane in lra lm; do
  (set +e; results="$work/$lane.results"; : >"$results"
   (set -e; "${lane}_lane") >"$work/$lane.log" 2>&1; echo "$lane lane: exit $?" >>"$work/$lane.log") &
done
wait
cat "$work/lra.log" "$work/lm.log"
# 30 checks: 16 in the lra lane, 14 in the lm lane; a lane that stopped early has run fewer, and
# the missing ones count as failed
total=30
passed="$(cat "$work/lra.results" "$work/lm.results" | grep -c '^PASS ' || true)"
echo "interop: $passed passed, $((total - passed)) failed"
[[ $passed -eq $total ]]
