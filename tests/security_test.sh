#!/usr/bin/env bash
# Distributed mode under attack (issue 12, "Nobody let in"): `bt serve` with
# TLS everywhere (certificates from scripts/certs.sh), bearer tokens with
# roles, data roots and the strategy allow-list, on loopback. Every attack is
# refused with its gRPC code and a clear message (tests/security_attacks.py,
# a Python client), nothing outside the data roots is read, and the happy
# path works through bt and through Python. Also: servers refuse plain text
# off loopback, tokens over plain text, and a port already in use.
set -euo pipefail
root="$PWD"
source "$root/tests/python_service.sh"
bt="$root/cli/bt"
work="$TEST_TMPDIR/security"
rm -rf "$work"
mkdir -p "$work"
cd "$work"

"$root/scripts/certs.sh" certs >/dev/null
# A client certificate from the same CA that is not the coordinator's.
openssl ecparam -name prime256v1 -genkey -noout -out certs/mallory.key
openssl req -new -key certs/mallory.key -subj "/CN=mallory" -out mallory.csr
printf 'extendedKeyUsage=clientAuth\nsubjectAltName=URI:seed:mallory\n' >mallory.ext
openssl x509 -req -in mallory.csr -CA certs/ca.crt -CAkey certs/ca.key \
  -CAcreateserial -days 2 -extfile mallory.ext -out certs/mallory.crt 2>/dev/null

: >tokens
for who in alice bob flood; do
  openssl rand -hex 32 >"$who.token"
  echo "$(cat "$who.token") user $who" >>tokens
done
echo "$(openssl rand -hex 32) admin root" >>tokens

"$bt" data synth --out data --symbols 2 --seed 5 --days 300 >/dev/null
mkdir outside
echo "root:\$6\$SECRETHASH-must-never-leak:19000:0:99999:7:::" >outside/secret.csv
ln -s ../outside data/escape

paste -d= <(printf '%s\n' coordinator data strategy portfolio execution results) \
  <(free_ports 6) >ports.txt
port() { sed -n "s/^$1=//p" ports.txt; }
for name in coordinator data strategy portfolio execution results; do
  echo "$name: 127.0.0.1:$(port "$name")"
done >services.yaml

tls=(--tls-cert="certs/{service}.crt" --tls-key="certs/{service}.key"
  --tls-ca=certs/ca.crt)
"$bt" serve --config services.yaml --db results.db "${tls[@]}" \
  --tokens=tokens --rate-limit=20,40 --data-roots="$work/data" \
  >serve.out 2>serve.err &
serve=$!
trap 'kill "$serve" 2>/dev/null || true; wait "$serve" 2>/dev/null || true' EXIT
for _ in $(seq 600); do
  grep -q "all services are SERVING" serve.out && break
  kill -0 "$serve" 2>/dev/null || fail "bt serve exited: $(cat serve.out serve.err)"
  sleep 0.1
done
grep -q "all services are SERVING" serve.out || fail "bt serve did not start"
grep -q "data service: TLS on" serve.out || fail "no TLS notice: $(cat serve.out)"

"$root/examples/python_strategy/generate_stubs.sh" stubs "$root/protos"
"$python" "$root/tests/security_attacks.py" "$work" stubs ||
  fail "an attack got through (serve log: $(tail -5 serve.err))"
grep -R -q "SECRETHASH" results.db* && fail "the secret reached the results database"
grep -q "SECRETHASH" serve.err serve.out && fail "the secret reached the logs"

# The happy path through bt: run, runs, show, trace over TLS with a token.
client=(--tls-ca certs/ca.crt --token-file alice.token)
cat >spec.yaml <<SPEC
name: bt-over-tls
data: {path: data, symbols: [SYNA, SYNB]}
strategy: {name: sma_cross, params: {fast: 5, slow: 20}}
portfolio: {initial_cash: 100000}
SPEC
"$bt" run spec.yaml --remote "127.0.0.1:$(port coordinator)" "${client[@]}" \
  >run.out 2>run.err || fail "bt run --remote over TLS: $(cat run.err)"
id="$(sed -n 's/.*(bt show \(.*\))$/\1/p' run.out)"
[ -n "$id" ] || fail "no run id in: $(cat run.out)"
results=(--results "127.0.0.1:$(port results)" "${client[@]}")
"$bt" runs "${results[@]}" | grep -q "$id" || fail "bt runs does not list $id"
BT_TOKEN_FILE=bob.token "$bt" runs --results "127.0.0.1:$(port results)" \
  --tls-ca certs/ca.crt | grep -q "$id" && fail "bob's bt runs lists alice's run"
"$bt" show "$id" "${results[@]}" | grep -q "bt-over-tls" || fail "bt show $id"
"$bt" trace "$id" "${results[@]}" | grep -q "execution" || fail "bt trace $id"
if "$bt" show "$id" --results "127.0.0.1:$(port results)" --tls-ca certs/ca.crt \
  --token-file bob.token 2>show.err; then
  fail "bob could show alice's run"
fi
grep -q "NOT_YOUR_RUN" show.err || fail "bob's refusal unclear: $(cat show.err)"
echo "ok       bt over TLS: run $id, runs, show, trace; bob is refused"

# A client never sends its token in plain text off loopback (nothing is sent:
# the check comes first).
if "$bt" runs --results 10.255.255.1:7105 --token-file alice.token 2>plain.err; then
  fail "bt sent a token in plain text"
fi
grep -q "refusing to send the bearer token in plain text" plain.err ||
  fail "unclear: $(cat plain.err)"
echo "refused  bt with a token in plain text to a non-loopback address"

# Servers refuse plain text off loopback, and tokens over it even with
# --insecure; a second server on a used port fails to start.
sed "s/^results: .*/results: 0.0.0.0:$(port results)/" services.yaml >open.yaml
set +e
"$bt" serve --only=results --config open.yaml --db x.db 2>open.err
[ $? -eq 2 ] || fail "plain text on 0.0.0.0 was not refused"
"$bt" serve --only=results --config open.yaml --db x.db --insecure \
  --tokens=tokens 2>insecure.err
[ $? -eq 2 ] || fail "tokens over plain text on 0.0.0.0 were not refused"
"$bt" serve --only=results --config services.yaml --db other.db "${tls[@]}" \
  --tokens=tokens >reuse.out 2>reuse.err
[ $? -eq 1 ] || fail "a second results server started on a used port"
set -e
grep -q -- "--tls-cert" open.err || fail "unclear: $(cat open.err)"
grep -q "plain text" insecure.err || fail "unclear: $(cat insecure.err)"
grep -q "127.0.0.1:$(port results): port in use" reuse.err ||
  fail "unclear: $(cat reuse.err)"
echo "refused  plain text on 0.0.0.0: $(head -c 120 open.err)"
echo "refused  tokens over plain text: $(head -c 120 insecure.err)"
echo "refused  a second results server: $(cat reuse.err)"

# Plain loopback stays possible and says so.
# (A config names every service; this one moves execution to a fresh port.)
plain_port=$(free_ports 1)
sed "s/^execution: .*/execution: 127.0.0.1:$plain_port/" services.yaml >plain.yaml
"$bt" serve --only=execution --config plain.yaml >plain.out 2>&1 &
plain=$!
for _ in $(seq 100); do
  grep -q "without TLS or authentication" plain.out && break
  sleep 0.1
done
kill "$plain" 2>/dev/null || true
wait "$plain" 2>/dev/null || true
grep -q "without TLS or authentication, loopback only" plain.out ||
  fail "no plain-loopback notice: $(cat plain.out)"
echo "ok       plain loopback: $(grep '^execution service: without' plain.out)"
echo "security_test: all passed"
