/* The side-by-side view (/compare): the plan as it stood (left, 现状) beside what it plans
 * (right, 规划), as two folium maps published as window.corridorMaps.left and .right.
 *
 * Each map holds every feature; a feature shows on a side when its interval [start, end]
 * reaches the end of that side's year (the API's datetime=../YYYY-12-31). "Planned, no date"
 * shows only on the right, while its box is ticked. Moving one map moves the other; the
 * address keeps both years and the view (map=zoom/lat/lon) and opens on them again.
 */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("compare-config").textContent);
  var ui = cfg.ui;
  var $ = function (id) { return document.getElementById(id); };
  var state = { undated: $("right-undated").checked };

  function side(key) {
    var M = window.corridorMaps[key];
    var tiled = M.tiled || {};
    var entries = [];  // every inline feature: {cid, layer, props}
    Object.keys(M.layers).forEach(function (cid) {
      if (tiled[cid]) { return; }
      M.layers[cid].eachLayer(function (l) { entries.push({ cid: cid, layer: l, props: l.feature.properties }); });
    });
    return { key: key, map: M.map, layers: M.layers, tiled: tiled, fit: M.fit, entries: entries,
      year: Number($(key + "-year").value), hidden: [] };
  }
  var sides = [side("left"), side("right")];

  // The rule of the main map's year slider and of the API's datetime=../YYYY-12-31.
  function standsBy(p, year, undated) {
    var iv = p.interval;
    if (!iv) { return true; }
    var start = iv[0], end = iv[1];
    if (!start) { return undated || p.status !== "planned"; }
    return Number(start.slice(0, 4)) <= year && !(end && Number(end.slice(0, 4)) < year);
  }

  function shownEntries(s) {
    return s.entries.filter(function (e) { return s.layers[e.cid].hasLayer(e.layer); });
  }

  function countLegend(s) {
    var counts = {}, total = 0;
    shownEntries(s).forEach(function (e) { counts[e.cid] = (counts[e.cid] || 0) + 1; });
    Array.prototype.forEach.call($(s.key + "-legend").querySelectorAll("li[data-collection]"), function (li) {
      var cid = li.dataset.collection;
      var on = s.layers[cid] && s.map.hasLayer(s.layers[cid]);
      var n = !on ? 0 : s.tiled[cid] ? Number(li.dataset.tiledCount) : (counts[cid] || 0);
      li.querySelector(".cs-count").textContent = "(" + n + ")";
      li.classList.toggle("cs-none", n === 0);
      total += n;
    });
    $(s.key + "-total").textContent = ui.total.replace("{n}", total);
  }

  function setYear(s, year) {
    var undated = s.key === "right" && state.undated;
    s.hidden.forEach(function (e) { s.layers[e.cid].addLayer(e.layer); });
    s.hidden = s.entries.filter(function (e) { return !standsBy(e.props, year, undated); });
    s.hidden.forEach(function (e) { s.layers[e.cid].removeLayer(e.layer); });
    s.year = year;
    $(s.key + "-year").value = String(year);
    $(s.key + "-title").textContent = ui[s.key].replace("{year}", year);
    countLegend(s);
    writeLink();
  }

  // ---- the two views move together -------------------------------------------------------
  // A move of one map sets the other's view without animation; the flag stops the other's
  // own "move" from setting the first again.
  var following = false;
  function follow(src, dst) {
    src.map.on("move", function () {
      if (following) { return; }
      following = true;
      try { dst.map.setView(src.map.getCenter(), src.map.getZoom(), { animate: false }); }
      finally { following = false; }
    });
  }
  follow(sides[0], sides[1]);
  follow(sides[1], sides[0]);

  // ---- the address: years, undated, view -------------------------------------------------
  var ready = false;
  function params(lang) {
    var map = sides[0].map, c = map.getCenter();
    var p = new URLSearchParams();
    p.set("lang", lang);
    p.set("left", String(sides[0].year));
    p.set("right", String(sides[1].year));
    if (!state.undated) { p.set("undated", "0"); }
    p.set("map", map.getZoom() + "/" + c.lat.toFixed(5) + "/" + c.lng.toFixed(5));
    return p;
  }
  function writeLink() {
    if (!ready) { return; }
    history.replaceState(null, "", location.pathname + "?" + params(cfg.lang).toString());
    $("permalink").value = location.href;
    $("lang-switch").href = location.pathname + "?" + params(cfg.lang === "zh" ? "en" : "zh").toString();
  }

  function openView() {
    sides.forEach(function (s) { s.map.invalidateSize({ animate: false }); });
    var view = (new URLSearchParams(location.search).get("map") || "").split("/").map(Number);
    // GeoJSON is lon,lat; the address, like Leaflet, says zoom/lat/lon.
    if (view.length === 3 && view.every(isFinite) && Math.abs(view[1]) <= 90 && Math.abs(view[2]) <= 180) {
      sides[0].map.setView(L.latLng(view[1], view[2]), view[0], { animate: false });
    } else {
      sides[0].map.fitBounds(sides[0].fit, { animate: false });
    }
  }

  // ---- wiring ------------------------------------------------------------------------------
  sides.forEach(function (s) {
    $(s.key + "-year").addEventListener("change", function (ev) { setYear(s, Number(ev.target.value)); });
    s.map.on("moveend", writeLink);
    // park names show from the zoom at which the parks can carry them (as on the main map)
    s.map.on("zoomend", function () { s.map.getContainer().classList.toggle("zoom-low", s.map.getZoom() < 11); });
  });
  $("right-undated").addEventListener("change", function (ev) {
    state.undated = ev.target.checked;
    setYear(sides[1], sides[1].year);
  });
  $("copy-link").addEventListener("click", function () {
    var input = $("permalink"), btn = $("copy-link");
    input.select();
    if (navigator.clipboard) { navigator.clipboard.writeText(input.value).catch(function () {}); }
    btn.textContent = btn.dataset.done;
  });
  // The popups' buttons belong to the main map: "centre here" opens it on that feature;
  // a feature at the same point opens its popup on the same side.
  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!t.classList) { return; }
    if (t.classList.contains("pp-centre")) {
      location.href = cfg.main + "?" + new URLSearchParams({ lang: cfg.lang, near: t.dataset.fid }).toString();
    } else if (t.classList.contains("pp-open")) {
      sides.forEach(function (s) {
        if (!s.map.getContainer().contains(t)) { return; }
        s.entries.forEach(function (e) {
          if (e.props.id === t.dataset.fid && s.layers[e.cid].hasLayer(e.layer)) { e.layer.openPopup(); }
        });
      });
    }
  });

  openView();
  // Tiled layers (build.py leaves them off) join once the view is set: only its tiles load.
  sides.forEach(function (s) {
    Object.keys(s.tiled).forEach(function (cid) {
      if (s.tiled[cid].show && !s.map.hasLayer(s.layers[cid])) { s.map.addLayer(s.layers[cid]); }
    });
    s.map.getContainer().classList.toggle("zoom-low", s.map.getZoom() < 11);
  });
  sides.forEach(function (s) { setYear(s, s.year); });
  ready = true;
  writeLink();

  window.corridorCompare = {
    sides: sides, state: state, standsBy: standsBy,
    setYear: function (key, year) { setYear(sides[key === "left" ? 0 : 1], year); },
    shown: function (key) {
      return shownEntries(sides[key === "left" ? 0 : 1]).map(function (e) { return e.props.id; });
    }
  };
})();
