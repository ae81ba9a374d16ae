"use strict";
// Territory labels on a map of many territories (a whole-country ZIP plan has hundreds): at
// each zoom and pan only the labels in view that overlap no label already placed are shown,
// the territories with the most units first, so names stay readable instead of piling up;
// zooming in brings the others back. A plan of a few dozen territories shows every label.

const LABELS_ALL_UP_TO = 60;

const TPLabels = {
  // labels: [{marker, latlng, name}] in the order they take their place (biggest first);
  // returns how many are shown.
  place(map, layer, labels) {
    if (labels.length <= LABELS_ALL_UP_TO) {  // all of them, placed once
      if (layer.getLayers().length !== labels.length) for (const l of labels) layer.addLayer(l.marker);
      return labels.length;
    }
    layer.clearLayers();
    const view = map.getSize();
    const taken = [];
    for (const l of labels) {
      const p = map.latLngToContainerPoint(l.latlng);
      if (p.x < 0 || p.y < 0 || p.x > view.x || p.y > view.y) continue;
      const half = l.name.length * 3.5 + 4;  // 11px bold text: about 7px a character
      const box = [p.x - half, p.y - 9, p.x + half, p.y + 9];
      if (taken.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3])) continue;
      taken.push(box);
      layer.addLayer(l.marker);
    }
    return taken.length;
  },
};
