# Sourced by scripts/test: what the browser tests need besides Python, installed when
# this machine can (Debian's Chromium and npm as root or with sudo; axe-core from the npm
# registry, pinned in tests/package-lock.json), otherwise the exact commands to run,
# before any test starts. Idempotent; CATALOG_BROWSER_SETUP=off skips it.
[ "${CATALOG_BROWSER_SETUP:-on}" = "off" ] && return 0
_apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; else return 1; fi
  fi
  command -v apt-get >/dev/null 2>&1 || return 1
  echo "installing $* (Debian packages) for the browser tests" >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >&2 &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >&2
}
_need=()
[ -x /usr/bin/chromium ] || _need+=(chromium fonts-dejavu-core)
command -v npm >/dev/null 2>&1 || _need+=(npm)
if [ "${#_need[@]}" -gt 0 ] && ! _apt_install "${_need[@]}"; then
  echo "The browser tests need Debian's Chromium and npm. Run, then run scripts/test again:" >&2
  echo "    sudo apt-get update && sudo apt-get install -y ${_need[*]}" >&2
  exit 1
fi
_lock="$ROOT/tests/package-lock.json"
_stamp="$ROOT/tests/node_modules/.installed"
_want="$(sha256sum "$_lock" | cut -d' ' -f1)"
if [ ! -f "$_stamp" ] || [ "$(cat "$_stamp")" != "$_want" ]; then
  echo "installing axe-core (npm ci in tests/) for the accessibility tests" >&2
  if ! npm ci --prefix "$ROOT/tests" --no-audit --no-fund --loglevel=error >&2; then
    echo "npm could not install tests/package-lock.json. Run, then scripts/test again:" >&2
    echo "    npm ci --prefix tests" >&2
    exit 1
  fi
  echo "$_want" > "$_stamp"
fi
unset _need _lock _stamp _want
