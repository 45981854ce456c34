#!/usr/bin/env bash
# The packed package under NestJS 11, which the peer ranges promise (@nestjs/* ^11, @nestjs/schedule 6,
# @nestjs/axios 4, @nestjs/typeorm 11): packs the package (`npm pack`), installs the tarball in a fresh app folder
# with those versions from the npm registry, and runs there, as plain CommonJS apps:
#   - packed-app.cjs memory: boots on the memory store, delivers a signed event, reports healthy;
#   - host-cron.cjs: the host's own @Cron job ticks as often with WebhookModule as without, the module's jobs are in
#     the host's SchedulerRegistry, and retries run with and without ScheduleModule in the host;
#   - typeorm-app.cjs: the TypeORM backend through @nestjs/typeorm 11 on SQLite (migrations, a retried delivery).
# better-sqlite3 is not installed from the registry (it compiles for about a minute): the app links the copy the
# repository's own install built (12.x, the same Node). Needs dist/ (built if missing). Exits non-zero on failure.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
HERE="$ROOT/test/package/nest11"
started=$SECONDS

if [ ! -f "$ROOT/dist/index.js" ]; then (cd "$ROOT" && npm run build); fi
if [ ! -d "$ROOT/node_modules/better-sqlite3" ]; then
  echo "nest11: $ROOT/node_modules/better-sqlite3 is missing: run npm ci in the repository first" >&2
  exit 1
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/webhooks-nest11-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
TARBALL="$(cd "$ROOT" && npm pack --ignore-scripts --silent --pack-destination "$WORK" | tail -n 1)"
APP="$WORK/app"
mkdir "$APP"
echo '{ "name": "webhooks-nest11-app", "version": "0.0.0", "private": true }' >"$APP/package.json"
cd "$APP"

echo "nest11: installing $TARBALL with NestJS 11 from the registry"
npm install --no-audit --no-fund --loglevel=error \
  "$WORK/$TARBALL" \
  @nestjs/common@^11 @nestjs/core@^11 @nestjs/platform-express@^11 @nestjs/schedule@^6 @nestjs/axios@^4 \
  @nestjs/typeorm@^11 typeorm@^0.3.20 \
  reflect-metadata@^0.2 rxjs@^7.8 class-validator@^0.14 class-transformer@^0.5 axios@^1.7
ln -s "$ROOT/node_modules/better-sqlite3" node_modules/better-sqlite3

versions="$(node -e "console.log(['common', 'core', 'schedule', 'axios', 'typeorm'].map((p) => '@nestjs/' + p + ' ' + require('@nestjs/' + p + '/package.json').version).join(', ') + ', typeorm ' + require('./node_modules/typeorm/package.json').version)")"
echo "nest11: installed $versions"
case "$versions" in
  *"@nestjs/core 11."*) ;;
  *) echo "nest11: expected @nestjs/core 11, got: $versions" >&2; exit 1 ;;
esac

cp "$ROOT/test/package/packed-app.cjs" app.cjs
cp "$HERE/host-cron.cjs" "$HERE/typeorm-app.cjs" .
export NODE_PATH=

out="$(node app.cjs memory | tail -n 1)"
OUT="$out" node -e '
  const out = JSON.parse(process.env.OUT);
  const good = out.delivery_count === 1 && JSON.stringify(out.received) === "[true]" && out.health === "up";
  if (!good) { console.error("nest11: packed-app memory FAILED: " + process.env.OUT); process.exit(1); }
  console.log("ok - packed app on the memory store: boots, delivers a signed event that verifyWebhook accepts, reports healthy");
'
node host-cron.cjs
node typeorm-app.cjs

echo "nest11: PASSED in $((SECONDS - started))s with $versions: packed app (memory store), host @Cron ticks unchanged with WebhookModule, retries with and without ScheduleModule, TypeORM backend on SQLite"
