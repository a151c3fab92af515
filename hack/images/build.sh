#!/usr/bin/env bash
# Builds the three connector images (Dockerfile.location, Dockerfile.storage-rest,
# Dockerfile.normalizer) where no container registry is reachable, and smoke-tests
# them.
#
# The Dockerfiles take BUILDER_IMAGE (a Go toolchain image with a shell) and
# BASE_IMAGE (distroless static nonroot) as build args. Neither can be pulled
# here, so this script first assembles local stand-ins from what the machine
# already has (the host Go toolchain, Debian's busybox-static, the host CA
# bundle), then builds the images against them, then runs each binary's --help
# inside its image and checks the image runs as uid 65532.
#
# Idempotent: the stand-ins are reused while they match the host Go version;
# the application images are rebuilt every run and the image a tag pointed to
# before is removed, so repeated runs do not pile up copies in vfs storage.
#
# Only buildah was available when this was written; the podman and docker
# paths follow the same steps but are untested.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: hack/images/build.sh [options]

Builds local stand-ins for the builder and base images, builds the connector
images against them, and runs each binary's --help inside its image.

Options:
  --runtime NAME        buildah, podman or docker (default: first usable of
                        podman, buildah, docker)
  --only NAME           build only this image: location, storage-rest or
                        rhoai-normalizer (repeatable)
  --tag TAG             tag for the connector images (default: dev)
  --rebuild-stand-ins   rebuild the stand-in base images even if present
  --stand-ins-only      build the stand-ins and stop
  --no-host-modcache    do not bind-mount the host Go module cache read-only
                        into the build (modules then come from GOPROXY)
  --no-build-cache      do not bind-mount a persistent Go build cache into
                        the build (every image then compiles from scratch)
  -h, --help            show this help

Environment:
  STORAGE_DRIVER        storage driver for buildah/podman (default for buildah:
                        vfs; for podman: the configured one)
  BUILD_CACHE_DIR       persistent Go build cache used with the build
                        (default: ${XDG_CACHE_HOME:-$HOME/.cache}/rhoai-connector/image-gocache)
EOF
}

BUILDER_REF=localhost/connector-builder:stand-in
BASE_REF=localhost/connector-base:stand-in
STAND_IN_LABEL=io.github.redhat-ai-dev.rhoai-connector.stand-in
GOVERSION_LABEL=io.github.redhat-ai-dev.rhoai-connector.go-version
ALL_IMAGES=(location storage-rest rhoai-normalizer)

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

runtime=""
tag=dev
only=()
rebuild_stand_ins=false
stand_ins_only=false
use_host_modcache=true
use_build_cache=true

die() {
	echo "build.sh: ERROR: $*" >&2
	exit 1
}

step() {
	printf '==> [%4ss] %s\n' "$SECONDS" "$*"
}

while [[ $# -gt 0 ]]; do
	case "$1" in
	--runtime) [[ $# -ge 2 ]] || die "--runtime needs a value"; runtime=$2; shift 2 ;;
	--runtime=*) runtime=${1#*=}; shift ;;
	--only) [[ $# -ge 2 ]] || die "--only needs a value"; only+=("$2"); shift 2 ;;
	--only=*) only+=("${1#*=}"); shift ;;
	--tag) [[ $# -ge 2 ]] || die "--tag needs a value"; tag=$2; shift 2 ;;
	--tag=*) tag=${1#*=}; shift ;;
	--rebuild-stand-ins) rebuild_stand_ins=true; shift ;;
	--stand-ins-only) stand_ins_only=true; shift ;;
	--no-host-modcache) use_host_modcache=false; shift ;;
	--no-build-cache) use_build_cache=false; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
done

images=("${only[@]:-${ALL_IMAGES[@]}}")
for name in "${images[@]}"; do
	case "$name" in
	location | storage-rest | rhoai-normalizer) ;;
	*) die "unknown image '$name' for --only: use location, storage-rest or rhoai-normalizer" ;;
	esac
done

# dockerfile_for maps an image name to the Dockerfile that builds it.
dockerfile_for() {
	case "$1" in
	rhoai-normalizer) echo "$REPO_ROOT/Dockerfile.normalizer" ;;
	*) echo "$REPO_ROOT/Dockerfile.$1" ;;
	esac
}

# --- container runtime ------------------------------------------------------

runtime_usable() {
	case "$1" in
	# A docker CLI without a reachable daemon is common (and the case here).
	docker) command -v docker >/dev/null && docker info >/dev/null 2>&1 ;;
	podman) command -v podman >/dev/null && podman info >/dev/null 2>&1 ;;
	buildah) command -v buildah >/dev/null && buildah version >/dev/null 2>&1 ;;
	*) return 1 ;;
	esac
}

if [[ -z "$runtime" ]]; then
	for candidate in podman buildah docker; do
		if runtime_usable "$candidate"; then
			runtime=$candidate
			break
		fi
	done
	[[ -n "$runtime" ]] || die "no usable container runtime: install buildah (apt-get install -y buildah) or podman, or start a docker daemon"
else
	case "$runtime" in
	buildah | podman | docker) ;;
	*) die "--runtime must be buildah, podman or docker, not '$runtime'" ;;
	esac
	runtime_usable "$runtime" || die "runtime '$runtime' is not usable here (not installed, or for docker/podman: '$runtime info' fails)"
fi

RT=("$runtime")
case "$runtime" in
buildah) RT+=(--storage-driver "${STORAGE_DRIVER:-vfs}") ;;
podman) [[ -z "${STORAGE_DRIVER:-}" ]] || RT+=(--storage-driver "$STORAGE_DRIVER") ;;
esac

# Containers this script creates, removed on any exit.
containers=()
cleanup() {
	local c
	for c in "${containers[@]}"; do
		"${RT[@]}" rm "$c" >/dev/null 2>&1 || true
	done
	if [[ -n "${staging:-}" && -d "$staging" ]]; then
		rm -rf "$staging"
	fi
}
trap cleanup EXIT

image_id() {
	case "$runtime" in
	buildah) "${RT[@]}" inspect --type image --format '{{.FromImageID}}' "$1" 2>/dev/null ;;
	*) "${RT[@]}" image inspect --format '{{.Id}}' "$1" 2>/dev/null ;;
	esac
}

image_label() {
	case "$runtime" in
	buildah) "${RT[@]}" inspect --type image --format "{{index .OCIv1.Config.Labels \"$2\"}}" "$1" 2>/dev/null ;;
	*) "${RT[@]}" image inspect --format "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null ;;
	esac
}

image_user() {
	case "$runtime" in
	buildah) "${RT[@]}" inspect --type image --format '{{.OCIv1.Config.User}}' "$1" ;;
	*) "${RT[@]}" image inspect --format '{{.Config.User}}' "$1" ;;
	esac
}

# remove_stale_image drops the image a tag pointed to before a rebuild; vfs
# keeps a full copy of every image, so leftovers add up fast.
remove_stale_image() {
	local old=$1 new=$2
	if [[ -n "$old" && "$old" != "$new" ]]; then
		"${RT[@]}" rmi "$old" >/dev/null 2>&1 || echo "    note: could not remove previous image $old (still in use?)"
	fi
}

# --- host prerequisites -----------------------------------------------------

command -v go >/dev/null || die "no Go toolchain on PATH: the builder stand-in is made from the host's Go"
GOROOT_HOST=$(go env GOROOT)
GOVERSION_HOST=$(go env GOVERSION)
GOPROXY_HOST=$(go env GOPROXY)
GOSUMDB_HOST=$(go env GOSUMDB)
GOPRIVATE_HOST=$(go env GOPRIVATE)
GOMODCACHE_HOST=$(go env GOMODCACHE)
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
[[ -f "$CA_BUNDLE" ]] || die "no CA bundle at $CA_BUNDLE: install it with apt-get install -y ca-certificates"

is_static() {
	# ldd fails on a static binary ("not a dynamic executable").
	! ldd "$1" >/dev/null 2>&1
}

find_static_busybox() {
	local b
	for b in /bin/busybox /usr/bin/busybox; do
		if [[ -x "$b" ]] && is_static "$b"; then
			echo "$b"
			return 0
		fi
	done
	return 1
}

ensure_busybox() {
	if BUSYBOX=$(find_static_busybox); then
		return 0
	fi
	step "installing Debian's busybox-static (needed for the builder's shell)"
	[[ $(id -u) -eq 0 ]] || die "busybox-static is missing and installing it needs root: run 'apt-get install -y busybox-static'"
	command -v apt-get >/dev/null || die "busybox-static is missing and there is no apt-get: install a statically linked busybox at /bin/busybox"
	apt-get install -y busybox-static >/dev/null 2>&1 ||
		{ apt-get update >/dev/null 2>&1 && apt-get install -y busybox-static >/dev/null; } ||
		die "apt-get install busybox-static failed: run it by hand to see why"
	BUSYBOX=$(find_static_busybox) || die "busybox-static installed but no static busybox found in /bin or /usr/bin"
}

# --- stand-in root filesystems ----------------------------------------------

# populate_builder_rootfs lays out a golang:<ver>-like tree: Go in
# /usr/local/go, GOPATH /go, a static busybox as /bin/sh and coreutils.
populate_builder_rootfs() {
	local root=$1 applet
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc/ssl/certs,root,tmp,go/bin,go/src,usr/local}
	chmod 1777 "$root/tmp"
	chmod 700 "$root/root"
	cp -a "$GOROOT_HOST" "$root/usr/local/go"
	cp "$BUSYBOX" "$root/bin/busybox"
	# --list-full gives each applet's conventional place (bin/sh, usr/bin/env...).
	while read -r applet; do
		[[ -n "$applet" && "$applet" != bin/busybox ]] || continue
		[[ -e "$root/$applet" || -L "$root/$applet" ]] && continue
		mkdir -p "$root/$(dirname "$applet")"
		ln -s /bin/busybox "$root/$applet"
	done < <("$BUSYBOX" --list-full)
	[[ -L "$root/bin/sh" ]] || ln -s /bin/busybox "$root/bin/sh"
	cp "$CA_BUNDLE" "$root/etc/ssl/certs/ca-certificates.crt"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
	# As in the official golang image, GOPATH is writable for any user.
	chmod -R 1777 "$root/go"
}

# populate_base_rootfs mirrors what gcr.io/distroless/static-debian12:nonroot
# offers a static Go binary: users, CA bundle, tzdata, a sticky /tmp.
populate_base_rootfs() {
	local root=$1
	mkdir -p "$root"/{etc/ssl/certs,tmp,root,home/nonroot,usr/share}
	chmod 1777 "$root/tmp"
	chmod 700 "$root/root"
	chown 65532:65532 "$root/home/nonroot"
	chmod 700 "$root/home/nonroot"
	cp "$CA_BUNDLE" "$root/etc/ssl/certs/ca-certificates.crt"
	if [[ -d /usr/share/zoneinfo ]]; then
		cp -a /usr/share/zoneinfo "$root/usr/share/zoneinfo"
	fi
	cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
	cat >"$root/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
EOF
	printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
}

builder_env() {
	echo "PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	echo "HOME=/root"
	echo "GOPATH=/go"
	echo "GOCACHE=/root/.cache/go-build"
	echo "GOFLAGS=-mod=mod"
	echo "GOTOOLCHAIN=local"
	echo "GOPROXY=$GOPROXY_HOST"
	[[ -z "$GOSUMDB_HOST" ]] || echo "GOSUMDB=$GOSUMDB_HOST"
	[[ -z "$GOPRIVATE_HOST" ]] || echo "GOPRIVATE=$GOPRIVATE_HOST"
	echo "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"
}

base_env() {
	echo "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	echo "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"
}

# commit_stand_in NAME REF POPULATE ENVFN USER WORKDIR
commit_stand_in() {
	local name=$1 ref=$2 populate=$3 envfn=$4 user=$5 workdir=$6
	local old new ctr mnt kv
	old=$(image_id "$ref" || true)
	if [[ "$runtime" == buildah && $(id -u) -eq 0 ]]; then
		ctr=$("${RT[@]}" from --name "connector-$name-standin-$$" scratch)
		containers+=("$ctr")
		mnt=$("${RT[@]}" mount "$ctr")
		"$populate" "$mnt"
		"${RT[@]}" umount "$ctr" >/dev/null
		local cfg=(--user "$user" --workingdir "$workdir"
			--label "$STAND_IN_LABEL=$name" --label "$GOVERSION_LABEL=$GOVERSION_HOST")
		# Only the builder has a shell to default to; distroless has no CMD.
		[[ "$name" != builder ]] || cfg+=(--cmd /bin/sh)
		while read -r kv; do cfg+=(--env "$kv"); done < <("$envfn")
		"${RT[@]}" config "${cfg[@]}" "$ctr"
		"${RT[@]}" commit --quiet "$ctr" "$ref" >/dev/null
		"${RT[@]}" rm "$ctr" >/dev/null
	else
		# Rootless buildah, podman and docker: stage the tree and build it FROM scratch.
		staging=$(mktemp -d)
		mkdir "$staging/rootfs"
		"$populate" "$staging/rootfs"
		{
			echo "FROM scratch"
			echo "COPY rootfs/ /"
			while read -r kv; do echo "ENV ${kv%%=*}=\"${kv#*=}\""; done < <("$envfn")
			echo "LABEL $STAND_IN_LABEL=$name $GOVERSION_LABEL=$GOVERSION_HOST"
			echo "WORKDIR $workdir"
			echo "USER $user"
		} >"$staging/Containerfile"
		"${RT[@]}" build -q -f "$staging/Containerfile" -t "$ref" "$staging" >/dev/null
		rm -rf "$staging"
		staging=""
	fi
	new=$(image_id "$ref") || die "stand-in $ref was not committed"
	remove_stale_image "$old" "$new"
}

ensure_stand_in() {
	local name=$1 ref=$2
	shift 2
	if ! $rebuild_stand_ins && [[ -n "$(image_id "$ref" || true)" ]]; then
		local have
		have=$(image_label "$ref" "$GOVERSION_LABEL" || true)
		if [[ "$have" == "$GOVERSION_HOST" ]]; then
			step "reusing $ref ($GOVERSION_HOST)"
			return 0
		fi
		step "$ref was made with '${have:-unknown Go}', host has $GOVERSION_HOST: rebuilding"
	fi
	step "building $ref"
	commit_stand_in "$name" "$ref" "$@"
}

# --- main -------------------------------------------------------------------

step "runtime: ${RT[*]}; repo: $REPO_ROOT; host $GOVERSION_HOST, GOPROXY=$GOPROXY_HOST"
ensure_busybox
ensure_stand_in builder "$BUILDER_REF" populate_builder_rootfs builder_env 0:0 /go
ensure_stand_in base "$BASE_REF" populate_base_rootfs base_env 65532:65532 /home/nonroot
if $stand_ins_only; then
	step "stand-ins ready"
	exit 0
fi

build_opts=(--build-arg "BUILDER_IMAGE=$BUILDER_REF" --build-arg "BASE_IMAGE=$BASE_REF")
case "$runtime" in
buildah) build_opts+=(--isolation chroot --pull=never) ;;
podman) build_opts+=(--pull=never) ;;
esac
if [[ "$runtime" == docker ]]; then
	# docker build has no --volume; modules then come from GOPROXY.
	use_host_modcache=false
	use_build_cache=false
fi
if $use_host_modcache; then
	step "making sure the host module cache holds every module the build needs"
	(cd "$REPO_ROOT" && go mod download) ||
		die "'go mod download' failed on the host: fix that, or pass --no-host-modcache"
	# Read-only: a build that needed anything else would fail loudly instead
	# of quietly writing into the host cache.
	build_opts+=(--volume "$GOMODCACHE_HOST:/go/pkg/mod:ro")
fi
if $use_build_cache; then
	BUILD_CACHE_DIR=${BUILD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rhoai-connector/image-gocache}
	mkdir -p "$BUILD_CACHE_DIR"
	build_opts+=(--volume "$BUILD_CACHE_DIR:/root/.cache/go-build")
fi

for name in "${images[@]}"; do
	ref="localhost/rhoai-connector-$name:$tag"
	dockerfile=$(dockerfile_for "$name")
	[[ -f "$dockerfile" ]] || die "missing $dockerfile"
	old=$(image_id "$ref" || true)
	step "building $ref from $(basename "$dockerfile")"
	log=$(mktemp)
	start=$SECONDS
	if ! "${RT[@]}" build "${build_opts[@]}" -f "$dockerfile" -t "$ref" "$REPO_ROOT" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		rm -f "$log"
		die "building $ref from $dockerfile failed (last 40 lines above)"
	fi
	rm -f "$log"
	new=$(image_id "$ref") || die "$ref missing after a successful build"
	remove_stale_image "$old" "$new"
	step "built $ref in $((SECONDS - start))s"
done

failed=0
for name in "${images[@]}"; do
	ref="localhost/rhoai-connector-$name:$tag"
	user=$(image_user "$ref")
	if [[ "$user" != "65532:65532" && "$user" != "65532" ]]; then
		echo "FAIL $ref: image user is '$user', want 65532:65532" >&2
		failed=1
		continue
	fi
	out=$(mktemp)
	rc=0
	case "$runtime" in
	buildah)
		ctr=$("${RT[@]}" from --pull=never --name "connector-$name-check-$$" "$ref")
		containers+=("$ctr")
		"${RT[@]}" run --isolation chroot "$ctr" -- "/usr/local/bin/$name" --help >"$out" 2>&1 || rc=$?
		"${RT[@]}" rm "$ctr" >/dev/null
		;;
	*)
		"${RT[@]}" run --rm --pull=never "$ref" --help >"$out" 2>&1 || rc=$?
		;;
	esac
	if [[ $rc -ne 0 ]]; then
		echo "FAIL $ref: '$name --help' exited $rc:" >&2
		sed 's/^/    /' "$out" >&2
		failed=1
	elif ! grep -q "Usage: $name" "$out"; then
		echo "FAIL $ref: '$name --help' printed no 'Usage: $name':" >&2
		sed 's/^/    /' "$out" >&2
		failed=1
	else
		step "ok $ref: user $user, '$name --help' exit 0 ($(wc -l <"$out") lines of usage)"
	fi
	rm -f "$out"
done
[[ $failed -eq 0 ]] || die "smoke test failed for at least one image (see FAIL lines above)"

step "done"
"${RT[@]}" images --filter reference='localhost/rhoai-connector-*' 2>/dev/null ||
	"${RT[@]}" images
