#!/usr/bin/env bash
# Regenerates the committed code made from proto/ (`make swift-protos`; commit the output):
#   Swift:  Sources/ZitadelAPI/Proto/*.pb.swift (zitadel/, google/rpc/) and Sources/GRPCServices/Proto/*.pb.swift
#           (grpc/: health, reflection), with protoc-gen-swift built from the very swift-protobuf checkout
#           the package resolved (so generated code and runtime match); beside each, Descriptors.swift:
#           the protos' FileDescriptorSet (their imports included) that server reflection answers with.
#   Python: scripts/connect_client/gen/ (the Connect client check's stubs), with protoc-gen-py and
#           protoc-gen-connectrpc installed into $VENV from scripts/connect_client/requirements.txt.
# --out DIR: write both under DIR at the same relative paths instead (scripts/check_generated.sh diffs them).
# Needs protoc (Debian: protobuf-compiler) and python3 -m venv. Env: VENV (default .venv).
set -euo pipefail
cd "$(dirname "$0")/.."

# The protos compiled into ZitadelAPI, relative to proto/: every .proto under proto/, each listed once.
# A new service (e.g. zitadel/user_service.proto) is one more line here, plus the files it imports.
protos=(
    zitadel/session_service.proto
    zitadel/user_service.proto
    zitadel/settings_service.proto
    zitadel/org_service.proto
    zitadel/oidc_service.proto
    zitadel/object.proto
    zitadel/idp.proto
    zitadel/metadata.proto
    zitadel/filter.proto
    zitadel/timestamp_query.proto
    zitadel/error_detail.proto
    google/rpc/status.proto
    grpc/health.proto
    grpc/reflection_v1.proto
    grpc/reflection_v1alpha.proto
)
# The Python client gets the zitadel/ ones (connectrpc reads google.rpc.Status itself).
python_protos=()
for p in "${protos[@]}"; do if [[ $p == zitadel/* ]]; then python_protos+=("$p"); fi; done

root=.
if [ "${1:-}" = --out ]; then
    root=${2:?usage: generate_proto.sh [--out DIR]}
elif [ $# -gt 0 ]; then
    echo "usage: generate_proto.sh [--out DIR]" >&2
    exit 2
fi

unlisted=$(cd proto && find . -name '*.proto' | sed 's|^\./||' | sort | grep -vxF -f <(printf '%s\n' "${protos[@]}") || true)
if [ -n "$unlisted" ]; then
    printf 'generate_proto.sh: not in its protos list (add them, one line each):\n%s\n' "$unlisted" >&2
    exit 1
fi
if ! command -v protoc >/dev/null; then
    echo "generate_proto.sh: protoc not found: apt-get install protobuf-compiler (macOS: brew install protobuf)" >&2
    exit 1
fi

# swift-protobuf as resolved (resolving first if needed): version and checkout path.
version="" checkout=""
read -r version checkout < <(swift package show-dependencies --format json | python3 -c '
import json, sys
for dep in json.load(sys.stdin)["dependencies"]:
    if dep["identity"] == "swift-protobuf":
        print(dep["version"], dep["path"])') || true
[ -d "${checkout:-}" ] || { echo "generate_proto.sh: no swift-protobuf checkout (swift package resolve)" >&2; exit 1; }
[[ $version =~ ^[0-9] ]] || version=$(git -C "$checkout" rev-parse HEAD)

# The plugin: built once per version, in debug (half the cold build time of release; its run time on
# these few files is negligible), from the checkout into a scratch folder of its own under .build/.
# Not `swift build --product protoc-gen-swift` in this package: that leaves every executable of the
# dependencies (swift-protobuf's C++ protoc among them: many minutes) in later plain `swift build`s.
plugin_build=.build/protoc-gen-swift/$version
plugin=$plugin_build/debug/protoc-gen-swift
if [ ! -x "$plugin" ]; then
    echo "generate_proto.sh: building protoc-gen-swift $version into $plugin_build (once; about a minute)" >&2
    mkdir -p "$plugin_build"
    if ! swift build --package-path "$checkout" --scratch-path "$plugin_build" --disable-index-store \
        --product protoc-gen-swift >"$plugin_build/build.log" 2>&1; then
        cat "$plugin_build/build.log" >&2
        exit 1
    fi
fi
# The well-known types (google/protobuf/*.proto) from the same checkout, not protoc's own include folder.
includes=(-I proto)
[ -d "$checkout/Protos/Sources/SwiftProtobuf/google/protobuf" ] && includes+=(-I "$checkout/Protos/Sources/SwiftProtobuf")

# Generated into a scratch folder first, then moved over the old output (files of removed protos go too).
stage=$(mktemp -d "${TMPDIR:-/tmp}/generate-proto.XXXXXX")
trap 'rm -rf "$stage"' EXIT
# Each module's protos: ZitadelAPI the vendor's (and google.rpc.Status), GRPCServices gRPC's own services.
zitadel_protos=() grpc_protos=()
for p in "${protos[@]}"; do if [[ $p == grpc/* ]]; then grpc_protos+=("$p"); else zitadel_protos+=("$p"); fi; done
swift_outs=()
# generate_swift OUT ENUM PROTO...: the Swift messages, and ENUM.fileDescriptorSet (base64).
generate_swift() {
    local out=$1 name=$2
    shift 2
    mkdir -p "$stage/$out"
    # Swift for each proto but a v1alpha one: v1alpha reflection's messages are v1's on the wire, so the
    # server reads and writes both as v1's; its descriptor still describes the service it serves.
    local swift_protos=()
    for p in "$@"; do [[ $p == *_v1alpha.proto ]] || swift_protos+=("$p"); done
    protoc "${includes[@]}" \
        --plugin=protoc-gen-swift="$plugin" \
        --swift_opt=FileNaming=DropPath --swift_opt=Visibility=Internal \
        --swift_out="$stage/$out" \
        "${swift_protos[@]}"
    protoc "${includes[@]}" --include_imports --descriptor_set_out="$stage/descriptors.pb" "$@"
    python3 - "$stage/descriptors.pb" "$stage/$out/Descriptors.swift" "$name" <<'PY'
import base64, sys
data = base64.b64encode(open(sys.argv[1], "rb").read()).decode()
lines = [data[i:i + 100] for i in range(0, len(data), 100)]
with open(sys.argv[2], "w") as out:
    out.write("// Generated by scripts/generate_proto.sh from proto/: do not edit.\n\n")
    out.write("/// The FileDescriptorSet of this module's protos and their imports (protoc --include_imports),\n")
    out.write("/// base64: what server reflection describes these services with.\n")
    out.write("package enum %s {\n" % sys.argv[3])
    out.write("    package static let fileDescriptorSet = \"\"\"\n")
    for line in lines:
        out.write("        %s\n" % line)
    out.write("        \"\"\"\n}\n")
PY
    rm "$stage/descriptors.pb"
    swift_outs+=("$out")
}
generate_swift Sources/ZitadelAPI/Proto ZitadelDescriptors "${zitadel_protos[@]}"
generate_swift Sources/GRPCServices/Proto GRPCServiceDescriptors "${grpc_protos[@]}"

venv=${VENV:-.venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/connect_client/requirements.txt
py_out=scripts/connect_client/gen
mkdir -p "$stage/$py_out"
protoc "${includes[@]}" \
    --plugin=protoc-gen-py="$venv/bin/protoc-gen-py" --py_out="$stage/$py_out" \
    --plugin=protoc-gen-connectrpc="$venv/bin/protoc-gen-connectrpc" --connectrpc_out="$stage/$py_out" \
    "${python_protos[@]}"

for out in "${swift_outs[@]}" "$py_out"; do
    rm -rf "${root:?}/$out"
    mkdir -p "$(dirname "$root/$out")"
    mv "$stage/$out" "$root/$out"
done
echo "generated Swift (protoc-gen-swift $version) into ${swift_outs[*]/#/$root/} and Python client stubs into $root/$py_out"
