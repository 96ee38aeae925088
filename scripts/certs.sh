#!/usr/bin/env bash
# Makes the certificates for TLS between the services (docs/security.md):
#   scripts/certs.sh OUT_DIR [--dns NAME | --dns SERVICE=NAME ...] [--days N]
#
# OUT_DIR/ca.crt, ca.key        a private CA; every service trusts ca.crt
# OUT_DIR/SERVICE.crt, .key     one server certificate per service (data,
#                               strategy, portfolio, execution, results,
#                               coordinator); SANs: localhost, 127.0.0.1, ::1,
#                               every --dns NAME, and each --dns SERVICE=NAME
#                               of that service
# The coordinator's certificate is also its client certificate towards the
# stages: it carries the URI SAN seed:coordinator, the identity the stage
# services and the results service accept for their internal methods.
#
# Keys are EC P-256, written 0600. An existing CA in OUT_DIR is reused (so new
# leaves chain to the CA the services already trust); delete ca.* to make a
# new one (rotation: docs/security.md).
set -euo pipefail

usage() {
  echo "usage: $0 OUT_DIR [--dns NAME | --dns SERVICE=NAME ...] [--days N]" >&2
  exit 2
}

[[ $# -ge 1 ]] || usage
out=$1
shift
days=825  # the longest validity common TLS clients accept for a leaf
declare -a common_dns=()
declare -A service_dns=()
services=(data strategy portfolio execution results coordinator)
while [[ $# -gt 0 ]]; do
  case $1 in
    --dns)
      [[ $# -ge 2 ]] || usage
      if [[ $2 == *=* ]]; then
        service=${2%%=*}
        [[ " ${services[*]} " == *" $service "* ]] || {
          echo "--dns $2: unknown service '$service' (${services[*]})" >&2
          exit 2
        }
        service_dns[$service]+=" ${2#*=}"
      else
        common_dns+=("$2")
      fi
      shift 2
      ;;
    --days)
      [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || usage
      days=$2
      shift 2
      ;;
    *) usage ;;
  esac
done
command -v openssl >/dev/null || {
  echo "openssl is missing: apt-get install openssl" >&2
  exit 1
}

mkdir -p "$out"
umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

new_key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1"; }

if [[ ! -f $out/ca.crt || ! -f $out/ca.key ]]; then
  new_key "$out/ca.key"
  openssl req -x509 -new -key "$out/ca.key" -sha256 -days $((days + 365)) \
    -subj "/O=seed-backtester/CN=seed-backtester CA $(date -u +%Y%m%d%H%M%S)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$out/ca.crt"
fi

for service in "${services[@]}"; do
  sans="DNS:localhost,IP:127.0.0.1,IP:::1"
  for name in "${common_dns[@]}" ${service_dns[$service]:-}; do
    sans+=",DNS:$name"
  done
  usage_ext="serverAuth"
  if [[ $service == coordinator ]]; then
    sans+=",URI:seed:coordinator"
    usage_ext="serverAuth,clientAuth"
  fi
  cat >"$work/$service.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=$usage_ext
subjectAltName=$sans
EOF
  new_key "$out/$service.key"
  openssl req -new -key "$out/$service.key" \
    -subj "/O=seed-backtester/CN=seed-$service" -out "$work/$service.csr"
  openssl x509 -req -in "$work/$service.csr" -CA "$out/ca.crt" \
    -CAkey "$out/ca.key" -CAcreateserial -sha256 -days "$days" \
    -extfile "$work/$service.ext" -out "$out/$service.crt" 2>/dev/null
done
rm -f "$out/ca.srl"
chmod 0644 "$out"/*.crt
echo "certificates in $out: ca.crt and ${services[*]} (.crt/.key)"
