#!/usr/bin/env bash
# Refresh the web UI's vendored libraries from the npm registry (see src/terraplan/web/vendor/README.md).
set -euo pipefail
LEAFLET=1.9.4
CLUSTER=1.5.3
DEST="$(cd "$(dirname "$0")/.." && pwd)/src/terraplan/web/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "leaflet@$LEAFLET" "leaflet.markercluster@$CLUSTER" >/dev/null
mkdir leaflet cluster
tar xzf "leaflet-$LEAFLET.tgz" -C leaflet
tar xzf "leaflet.markercluster-$CLUSTER.tgz" -C cluster
rm -rf "$DEST/leaflet" "$DEST/leaflet.markercluster"
mkdir -p "$DEST/leaflet" "$DEST/leaflet.markercluster"
cp -r leaflet/package/dist/leaflet.js leaflet/package/dist/leaflet.css leaflet/package/dist/images \
  leaflet/package/LICENSE "$DEST/leaflet/"
cp cluster/package/dist/leaflet.markercluster.js cluster/package/dist/MarkerCluster.css \
  cluster/package/dist/MarkerCluster.Default.css "$DEST/leaflet.markercluster/"
cp cluster/package/MIT-LICENCE.txt "$DEST/leaflet.markercluster/LICENSE"
echo "vendored leaflet $LEAFLET and leaflet.markercluster $CLUSTER into $DEST"
