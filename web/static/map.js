/* The corridor map page: search, industry filter, the N-km query, "which park/district is
 * here", and a permalink that carries language, visible layers, view and the active query.
 *
 * The map and its layers are built by folium (web/map/build.py) and published as
 * window.corridorMaps.main. Every dynamic query goes to the app's own API, so the map shows
 * exactly what /api/near (etc.) return; only the drawn buffer comes from /map-data/buffer.
 * A collection too large to write into the page is drawn from the API's vector tiles
 * (Leaflet.VectorGrid; see "tiled layers" below).
 */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("corridor-config").textContent);
  var M = window.corridorMaps.main;
  var map = M.map;
  var layers = M.layers;
  var tiles = M.tiles || {};
  var ui = cfg.ui;
  var lang = cfg.lang;
  // cid -> {style} of the layers drawn from vector tiles (the page holds none of their features)
  var tiled = M.tiled || {};
  // Above every collection's pane (401...), below tooltips and popups.
  map.createPane("pane-query").style.zIndex = 480;
  map.getPane("pane-query").style.pointerEvents = "none";
  var queryLayer = L.featureGroup().addTo(map);
  // How far off the position of the feature whose popup is open may be: above the areas,
  // below the points, never in the way of a click.
  map.createPane("pane-accuracy").style.zIndex = 408;
  map.getPane("pane-accuracy").style.pointerEvents = "none";
  var accuracyLayer = L.featureGroup().addTo(map);
  var $ = function (id) { return document.getElementById(id); };

  var state = { q: "", industry: "", near: null, km: 5, at: null, mode: "none",
    // "within N minutes" over a road network (only offered when one is imported)
    measure: "km", minutes: 15, travel: "walk", network: (cfg.networks || [])[0] || null };
  var highlights = { search: [], industry: [], near: [] };

  // GeoJSON is lon,lat; Leaflet wants lat,lon. Converted here and nowhere else on the page.
  function toLatLng(lon, lat) { return L.latLng(lat, lon); }

  // id -> {cid, layer, props}, over every collection, shown or not.
  var index = {};
  Object.keys(layers).forEach(function (cid) {
    if (tiled[cid]) { return; }
    layers[cid].eachLayer(function (l) {
      var p = l.feature.properties;
      index[p.id] = { cid: cid, layer: l, props: p };
    });
  });

  // Points at exactly the same position (an institution's labs and facilities all at its
  // address) are drawn spread on a small ring around it, so each can be seen and clicked;
  // their popups list each other. The true position stays in e.home.
  var SPREAD_PX = 11;
  var stacks = {};
  Object.keys(index).forEach(function (fid) {
    var e = index[fid];
    if (!e.layer.getLatLng || e.layer.getBounds) { return; }
    var ll = e.layer.getLatLng();
    e.home = ll;
    var key = ll.lat.toFixed(7) + "," + ll.lng.toFixed(7);
    (stacks[key] = stacks[key] || []).push(fid);
  });
  function spread() {
    Object.keys(stacks).forEach(function (key) {
      var fids = stacks[key];
      if (fids.length < 2) { return; }
      var z = map.getZoom();
      var centre = map.project(index[fids[0]].home, z);
      fids.forEach(function (fid, i) {
        var a = 2 * Math.PI * i / fids.length - Math.PI / 2;
        var pt = centre.add(L.point(Math.cos(a) * SPREAD_PX, Math.sin(a) * SPREAD_PX));
        index[fid].layer.setLatLng(map.unproject(pt, z));
      });
    });
  }
  map.on("zoomend", spread);
  // Park names show from the zoom at which the parks are big enough to carry them.
  function zoomClass() { map.getContainer().classList.toggle("zoom-low", map.getZoom() < 11); }
  map.on("zoomend", zoomClass);

  // Leaflet guesses its default marker image's folder from leaflet.css; ours inlines the
  // image, so the guess is wrong (".../vendormarker-icon.png"). The measure tool's hidden
  // marker uses it: give the default icon the inlined image directly.
  (function () {
    var probe = L.DomUtil.create("div", "leaflet-default-icon-path", document.body);
    var bg = getComputedStyle(probe).backgroundImage;
    document.body.removeChild(probe);
    var m = /^url\(["']?(data:[^"')]+)["']?\)$/.exec(bg);
    var blank = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";
    L.Icon.Default.imagePath = "";
    L.Icon.Default.mergeOptions({ iconUrl: m ? m[1] : blank, iconRetinaUrl: m ? m[1] : blank, shadowUrl: blank });
  })();

  function name(p) { return p["name_" + lang] || p.name_zh || p.name_en || p.id; }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function fidOf(f) { return (f.properties && f.properties.id) || f.id; }
  function collOf(f) {
    var p = f.properties || {};
    var fid = fidOf(f);
    return p.collection || f.collection || (index[fid] && index[fid].cid) || "";
  }

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/geo+json, application/json" } })
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) { throw new Error((body && body.description) || ("HTTP " + r.status)); }
          return body;
        });
      });
  }

  function endpoint(key, params, cid) {
    var url = cfg.endpoints[key].replace("{cid}", encodeURIComponent(cid || ""));
    return url + "?" + new URLSearchParams(params).toString();
  }

  // ---- highlighting -------------------------------------------------------------------------
  // Areas larger than the query's circle (a whole bay, a district's role) are outlined
  // thinly, under the rest: they reach into the circle, but should not dominate it.
  var queryBounds = null;
  function broad(e) {
    return !!(queryBounds && e.layer.getBounds && !e.layer.getLatLng &&
      !queryBounds.pad(0.05).contains(e.layer.getBounds()));
  }
  function restyle() {
    var on = {};
    Object.keys(highlights).forEach(function (k) {
      highlights[k].forEach(function (fid) { on[fid] = k; });
    });
    Object.keys(index).forEach(function (fid) {
      var e = index[fid];
      if (on[fid] && on[fid] === "near" && broad(e) && highlights.search.indexOf(fid) < 0 &&
          highlights.industry.indexOf(fid) < 0) {
        layers[e.cid].resetStyle(e.layer);
        e.layer.setStyle({ color: cfg.highlight, weight: 1.5, opacity: 0.9, dashArray: "2 5" });
        e.broad = true;
      } else if (on[fid]) {
        e.layer.setStyle({ color: cfg.highlight, weight: 4, opacity: 1 });
        if (e.layer.bringToFront && map.hasLayer(e.layer)) { e.layer.bringToFront(); }
        e.broad = false;
      } else {
        layers[e.cid].resetStyle(e.layer);
        e.broad = false;
      }
    });
    restyleTiled(on);
  }

  // Highlighted features of tiled layers, restyled in whichever tiles draw them (VectorGrid
  // keeps the style for tiles loaded later).
  var tiledOn = {};
  function restyleTiled(on) {
    var cids = Object.keys(tiled);
    if (!cids.length) { return; }
    Object.keys(tiledOn).forEach(function (fid) {
      if (!on[fid]) {
        cids.forEach(function (cid) { layers[cid].resetFeatureStyle(fid); });
        delete tiledOn[fid];
      }
    });
    Object.keys(on).forEach(function (fid) {
      if (index[fid] || tiledOn[fid]) { return; }
      cids.forEach(function (cid) {
        var base = tiled[cid].style;
        layers[cid].setFeatureStyle(fid, L.extend({}, base, { color: cfg.highlight, weight: 3, opacity: 1,
          radius: base.radius + 2 }));
      });
      tiledOn[fid] = true;
    });
  }

  function highlighted(kind) {
    if (kind) { return highlights[kind].slice(); }
    var all = {};
    Object.keys(highlights).forEach(function (k) { highlights[k].forEach(function (f) { all[f] = 1; }); });
    return Object.keys(all);
  }

  function focus(fid, cid) {
    var e = index[fid];
    if (!e && tiled[cid]) { focusTiled(cid, fid); return; }
    if (!e) { return; }
    if (!map.hasLayer(layers[e.cid])) { map.addLayer(layers[e.cid]); }
    if (e.layer.getBounds) { map.fitBounds(e.layer.getBounds(), { maxZoom: 13 }); }
    else { map.setView(e.layer.getLatLng(), Math.max(map.getZoom(), 13)); }
    openPopup(fid);
  }

  // folium binds each popup to the collection's group, which opens it for the feature a
  // click propagates from; so open one the same way a click would.
  function openPopup(fid) {
    var e = index[fid];
    var at = e.layer.getLatLng ? e.layer.getLatLng() : e.layer.getBounds().getCenter();
    e.layer.fire("click", { latlng: at }, true);
  }

  function distanceText(km) {
    return Number(km) === 0 ? ui.inside : Number(km).toFixed(2) + " " + ui.km;
  }

  // Each row is a button (reachable by keyboard): the name and its layer on the left, the
  // distance on the right of the same row however the name wraps.
  function renderList(el, features, withDistance) {
    el.innerHTML = "";
    lists[el.id] = { features: features, withDistance: withDistance };
    updateCsv(el.id);
    if (!features.length) {
      el.innerHTML = "<li class=\"empty\">" + esc(ui.no_results) + "</li>";
      return;
    }
    features.forEach(function (f) {
      var fid = fidOf(f);
      var cid = collOf(f);
      var p = (index[fid] && index[fid].props) || f.properties || {};
      var li = document.createElement("li");
      li.dataset.fid = fid;
      li.dataset.collection = cid;
      var html = "<button type=\"button\" class=\"row-button\"><span class=\"rb-name\">" + esc(name(p)) +
        "</span>";
      if (withDistance && f.properties && f.properties.distance_km != null) {
        html += "<span class=\"dist\">" + esc(distanceText(f.properties.distance_km)) + "</span>";
      } else if (withDistance && f.properties && f.properties.travel_min != null) {
        html += "<span class=\"dist\">" + esc(Number(f.properties.travel_min).toFixed(1) + " " + ui.minutes) + "</span>";
      }
      html += "<span class=\"coll\">" + esc((cfg.collections[cid] || {}).title || cid) + "</span></button>";
      li.innerHTML = html;
      li.firstChild.addEventListener("click", function () { focus(fid, cid); });
      el.appendChild(li);
    });
  }

  function showError(el, err) {
    el.innerHTML = "<li class=\"error\" role=\"alert\">" + esc(ui.error) + ": " + esc(err.message || err) + "</li>";
  }

  // ---- CSV of a result list ------------------------------------------------------------------
  var lists = {};
  function csvCell(v) {
    var s = v == null ? "" : String(v);
    return /[",\n\r]/.test(s) ? "\"" + s.replace(/"/g, "\"\"") + "\"" : s;
  }
  function csvOf(list) {
    var head = ["id", "name_zh", "name_en", "collection", "layer"];
    var timed = list.features.some(function (f) { return f.properties && f.properties.travel_min != null; });
    if (list.withDistance) { head.push(timed ? "travel_min" : "distance_km"); }
    var rows = [head];
    list.features.forEach(function (f) {
      var fid = fidOf(f), cid = collOf(f);
      var p = (index[fid] && index[fid].props) || f.properties || {};
      var row = [fid, p.name_zh, p.name_en, cid, (cfg.collections[cid] || {}).title || cid];
      if (list.withDistance) { row.push(f.properties && f.properties[timed ? "travel_min" : "distance_km"]); }
      rows.push(row);
    });
    return rows.map(function (r) { return r.map(csvCell).join(","); }).join("\r\n") + "\r\n";
  }
  function updateCsv(listId) {
    var link = document.querySelector("a.csv-link[data-list=\"" + listId + "\"]");
    var list = lists[listId];
    if (!link) { return; }
    var shown = list && list.features.length;
    link.parentNode.hidden = !shown;
    if (shown) {
      // a data: URL, so the download is made here and asks the server for nothing
      link.href = "data:text/csv;charset=utf-8," + encodeURIComponent("\ufeff" + csvOf(list));
    }
  }

  // Query every collection's items with the same parameters and merge the features.
  function allItems(params) {
    return Promise.all(Object.keys(layers).map(function (cid) {
      return getJSON(endpoint("items", params, cid)).then(function (doc) {
        return (doc.features || []).map(function (f) {
          f.properties = f.properties || {};
          f.properties.collection = f.properties.collection || cid;
          return f;
        });
      });
    })).then(function (lists) { return [].concat.apply([], lists); });
  }

  // ---- search and industry -----------------------------------------------------------------
  var searchTimer = null;
  // Names (and aliases) first, then what works in an industry the text names
  // ("semiconductor", "海洋"): one list, each feature once.
  function runSearch() {
    var q = state.q.trim();
    var el = $("search-results");
    if (!q) { highlights.search = []; el.innerHTML = ""; lists[el.id] = null; updateCsv(el.id); restyle(); sync(); return Promise.resolve(); }
    return Promise.all([allItems({ q: q, limit: 100 }), allItems({ industry: q, limit: 500 })]).then(function (res) {
      if (state.q.trim() !== q) { return; }
      var seen = {};
      var feats = res[0].concat(res[1]).filter(function (f) {
        var fid = fidOf(f);
        if (seen[fid]) { return false; }
        seen[fid] = true;
        return true;
      });
      highlights.search = feats.map(fidOf);
      renderList(el, feats, false);
      restyle(); sync();
    }).catch(function (err) { showError(el, err); });
  }

  function runIndustry() {
    var term = state.industry;
    var el = $("industry-results");
    if (!term) { highlights.industry = []; el.innerHTML = ""; restyle(); sync(); return Promise.resolve(); }
    return allItems({ industry: term, limit: 500 }).then(function (feats) {
      if (state.industry !== term) { return; }
      highlights.industry = feats.map(fidOf);
      renderList(el, feats, false);
      restyle(); sync();
    }).catch(function (err) { showError(el, err); });
  }

  // ---- the N km query -----------------------------------------------------------------------
  function lonlatOf(of) {
    var ll = String(of).split(",").map(Number);
    return ll.length === 2 && ll.every(isFinite) ? ll : null;
  }

  function ofLabel(of) {
    if (!of) { return ui.near_pick; }
    if (index[of]) { return name(index[of].props); }
    var ll = lonlatOf(of);
    if (!ll) { return of; }
    return ui.point + " " + ll[0].toFixed(4) + ", " + ll[1].toFixed(4);
  }

  function kmProblem(km) {
    if (!isFinite(km)) { return ui.km_not_number; }
    if (km <= 0) { return ui.km_not_positive; }
    if (km > cfg.km_max) { return ui.km_too_far.replace("{max}", cfg.km_max); }
    return null;
  }

  function setKm(km) {
    state.km = km;
    $("near-km").value = km;
    $("near-km-range").value = Math.min(50, Math.max(1, Math.round(km)));
    $("near-km").removeAttribute("aria-invalid");
  }

  function nearMessage(text, isError) {
    var m = $("near-message");
    m.textContent = text || "";
    m.className = "near-message" + (isError ? " error" : "");
  }

  // Clear what an earlier query drew and listed (so a failed query leaves no stale answer).
  function clearNear() {
    queryLayer.clearLayers();
    queryBounds = null;
    highlights.near = [];
    $("near-results").innerHTML = "";
    lists["near-results"] = null;
    updateCsv("near-results");
    $("near-filter").hidden = true;
    $("near-filter").innerHTML = "";
    restyle();
  }

  // Filter by type: one checkbox per layer the results come from, with its count.
  var nearAll = [];
  var hiddenTypes = {};
  function renderNearFilter(feats) {
    var box = $("near-filter");
    var counts = {};
    feats.forEach(function (f) { var c = collOf(f); counts[c] = (counts[c] || 0) + 1; });
    var cids = Object.keys(counts);
    box.innerHTML = "";
    box.hidden = cids.length < 2;
    cids.forEach(function (cid) {
      var label = document.createElement("label");
      label.innerHTML = "<input type=\"checkbox\" value=\"" + esc(cid) + "\"" + (hiddenTypes[cid] ? "" : " checked") +
        "> " + esc((cfg.collections[cid] || {}).title || cid) + " (" + counts[cid] + ")";
      label.firstChild.addEventListener("change", function (ev) {
        hiddenTypes[cid] = !ev.target.checked;
        showNear();
      });
      box.appendChild(label);
    });
  }
  function showNear() {
    var shown = nearAll.filter(function (f) { return !hiddenTypes[collOf(f)]; });
    highlights.near = shown.map(fidOf);
    renderList($("near-results"), shown, true);
    restyle();
  }

  function runNear(fit) {
    var el = $("near-results");
    clearNear();
    nearMessage("");
    if (!state.near) { sync(); return Promise.resolve(); }
    var of = state.near, km = state.km;
    $("near-of-label").textContent = ofLabel(of);
    if (state.measure === "minutes") { return runReach(of, fit); }
    var problem = kmProblem(km);
    if (problem) {
      $("near-km").setAttribute("aria-invalid", "true");
      nearMessage(problem, true);
      sync();
      return Promise.resolve();
    }
    if (!index[of] && of.indexOf(",") >= 0 && !lonlatOf(of)) {
      nearMessage(ui.near_bad_centre.replace("{of}", of), true);
      sync();
      return Promise.resolve();
    }
    // every feature is in the page unless a layer is tiled: then only the server knows
    if (!index[of] && !lonlatOf(of) && !Object.keys(tiled).length) {
      nearMessage(ui.near_unknown.replace("{of}", of), true);
      sync();
      return Promise.resolve();
    }
    var ll = lonlatOf(of);
    if (ll) {
      L.circleMarker(toLatLng(ll[0], ll[1]), { radius: 5, color: "#fff", weight: 2,
        fillColor: cfg.highlight, fillOpacity: 1, interactive: false, pane: "pane-query" }).addTo(queryLayer);
    }
    var buffer = getJSON(cfg.buffer + "?" + new URLSearchParams({ of: of, km: km })).then(function (f) {
      if (state.near !== of || state.km !== km) { return; }  // a newer query was asked
      var ring = L.geoJSON(f, { interactive: false, pane: "pane-query", style: { color: cfg.highlight, weight: 2,
        dashArray: "6 4", fillColor: cfg.highlight, fillOpacity: 0.06 } }).addTo(queryLayer);
      queryBounds = ring.getBounds();
      restyle();
      if (fit === true) { map.fitBounds(ring.getBounds(), { padding: [20, 20] }); }
    });
    var hits = getJSON(endpoint("near", { of: of, km: km, collections: cfg.near_collections.join(",") })).then(function (doc) {
      if (state.near !== of || state.km !== km) { return; }
      nearAll = (doc.features || []).slice().sort(function (a, b) {
        return (a.properties.distance_km || 0) - (b.properties.distance_km || 0);
      });
      renderNearFilter(nearAll);
      showNear();
      nearMessage(ui.near_found.replace("{n}", nearAll.length).replace("{km}", km));
    });
    sync();
    return Promise.all([buffer, hits]).catch(function (err) {
      if (state.near !== of || state.km !== km) { return; }
      clearNear();
      nearMessage(ui.error + ": " + (err.message || String(err)), true);
    });
  }

  // "within N minutes": the area the road network reaches, and what lies in it, by time
  var reachKey = null;
  function runReach(of, fit) {
    var minutes = state.minutes, travel = state.travel, network = state.network;
    if (!isFinite(minutes) || minutes <= 0 || minutes > cfg.minutes_max) {
      $("reach-minutes").setAttribute("aria-invalid", "true");
      nearMessage(ui.minutes_bad.replace("{max}", cfg.minutes_max), true);
      sync();
      return Promise.resolve();
    }
    $("reach-minutes").removeAttribute("aria-invalid");
    var ll = lonlatOf(of);
    if (ll) {
      L.circleMarker(toLatLng(ll[0], ll[1]), { radius: 5, color: "#fff", weight: 2,
        fillColor: cfg.highlight, fillOpacity: 1, interactive: false, pane: "pane-query" }).addTo(queryLayer);
    }
    var key = reachKey = [of, minutes, travel, network].join("|");
    var q = { of: of, minutes: minutes, network: network, mode: travel };
    if (cfg.near_collections.length) { q.collections = cfg.near_collections.join(","); }
    sync();
    return getJSON(endpoint("reach", q)).then(function (doc) {
      if (reachKey !== key || state.near !== of || state.measure !== "minutes") { return; }
      var area = L.geoJSON(doc, { interactive: false, pane: "pane-query", style: { color: cfg.highlight,
        weight: 2, fillColor: cfg.highlight, fillOpacity: 0.08 } }).addTo(queryLayer);
      queryBounds = area.getBounds();
      nearAll = doc.features || [];
      renderNearFilter(nearAll);
      showNear();
      nearMessage(ui.reach_found.replace("{n}", nearAll.length).replace("{minutes}", minutes)
        .replace("{nodes}", doc.properties.nodes_reached));
      if (fit === true && queryBounds.isValid()) { map.fitBounds(queryBounds, { padding: [20, 20] }); }
    }).catch(function (err) {
      if (reachKey !== key) { return; }
      clearNear();
      nearMessage(ui.error + ": " + (err.message || String(err)), true);
    });
  }

  function centreOn(of, fit) {
    state.near = of;
    return runNear(fit);
  }

  // ---- which park/district is here ----------------------------------------------------------
  function runAt() {
    var el = $("at-result");
    if (!state.at) { el.innerHTML = ""; sync(); return Promise.resolve(); }
    var at = state.at;
    var ll = at.split(",").map(Number);
    queryLayer.clearLayers();
    L.circleMarker(toLatLng(ll[0], ll[1]), { radius: 5, color: "#fff", weight: 2,
      fillColor: "#333", fillOpacity: 1, interactive: false, pane: "pane-query" }).addTo(queryLayer);
    sync();
    return getJSON(endpoint("at", { lon: ll[0], lat: ll[1] })).then(function (doc) {
      if (state.at !== at) { return; }
      var byColl = {};
      if (doc.features) {
        doc.features.forEach(function (f) {
          var cid = collOf(f);
          (byColl[cid] = byColl[cid] || []).push(f);
        });
      } else {
        Object.keys(doc).forEach(function (cid) {
          if (Array.isArray(doc[cid])) {
            byColl[cid] = doc[cid].map(function (fid) { return { id: fid, properties: { id: fid } }; });
          }
        });
      }
      var rows = Object.keys(byColl).filter(function (c) { return byColl[c].length; }).map(function (cid) {
        var names = byColl[cid].map(function (f) {
          var fid = fidOf(f);
          var p = (index[fid] && index[fid].props) || f.properties || {};
          return "<a href=\"#\" data-fid=\"" + esc(fid) + "\" data-collection=\"" + esc(cid) + "\">" +
            esc(name(p)) + "</a>";
        });
        return "<div><b>" + esc((cfg.collections[cid] || {}).title || cid) + "</b>: " + names.join(", ") + "</div>";
      });
      el.innerHTML = "<div><b>" + esc(ui.here) + "</b> " + ll[0].toFixed(5) + ", " + ll[1].toFixed(5) + "</div>" +
        (rows.length ? rows.join("") : esc(ui.no_results));
    }).catch(function (err) { el.textContent = ui.error + ": " + (err.message || err); });
  }

  // ---- layout: the panel, collapsible controls ---------------------------------------------
  // A small map (a phone, a tablet beside the panel) starts with the layer control and the
  // key collapsed to a button each; a person opens them when needed.
  var PHONE = window.matchMedia("(max-width: 699px)");
  function compactMap() { return map.getContainer().clientWidth < 700; }

  function collapsible(container, label, collapsed) {
    if (!container || container.querySelector(":scope > .ctl-toggle")) { return; }
    var btn = document.createElement("button");
    btn.type = "button";
    btn.className = "ctl-toggle";
    btn.textContent = label;
    container.insertBefore(btn, container.firstChild);
    container.classList.add("has-toggle");
    function set(c) {
      container.classList.toggle("is-collapsed", c);
      btn.setAttribute("aria-expanded", String(!c));
    }
    btn.addEventListener("click", function (ev) {
      ev.stopPropagation();
      set(!container.classList.contains("is-collapsed"));
    });
    set(collapsed);
  }
  var compact = compactMap();
  collapsible(map.getContainer().querySelector(".leaflet-control-layers"), ui.layers, compact);
  collapsible(map.getContainer().querySelector(".corridor-legend"), ui.legend, compact);

  var sidebar = $("sidebar");
  function setPanel(open) {
    sidebar.classList.toggle("collapsed", !open);
    $("panel-toggle").setAttribute("aria-expanded", String(open));
    map.invalidateSize({ animate: false });
  }
  $("panel-toggle").addEventListener("click", function () { setPanel(sidebar.classList.contains("collapsed")); });
  (function () {
    // On a phone the sheet starts closed, unless the link carries a query to show.
    var p = new URLSearchParams(location.search);
    var query = ["q", "industry", "near", "at"].some(function (k) { return p.get(k); });
    if (PHONE.matches && !query) { setPanel(false); }
  })();
  document.querySelector(".skip-link").addEventListener("click", function () {
    if (sidebar.classList.contains("collapsed")) { setPanel(true); }
  });

  // ---- initial view, accuracy circles, tooltips --------------------------------------------
  // Open on the corridor, clear of the controls in the map's corners (on a small map the
  // controls are buttons, and the corridor may pass under them rather than shrink).
  function fitInitial() {
    var box = map.getContainer().getBoundingClientRect();
    function width(sel) {
      var w = 0;
      Array.prototype.forEach.call(map.getContainer().querySelectorAll(sel + " .leaflet-control"), function (c) {
        w = Math.max(w, c.getBoundingClientRect().width);
      });
      return w;
    }
    var left = 0, right = 0;
    if (!compactMap()) {
      right = Math.max(width(".leaflet-top.leaflet-right"), width(".leaflet-bottom.leaflet-right"));
      left = width(".leaflet-top.leaflet-left");
    }
    // leave at least half the map for the corridor
    right = Math.min(right, box.width / 2);
    var tl = [left + 12, 12], br = [right + 12, 28];
    if (box.width - tl[0] - br[0] < 50 || box.height - tl[1] - br[1] < 50) { tl = [0, 0]; br = [0, 0]; }
    if (box.width < 10 || box.height < 10) { map.fitBounds(M.fit, { animate: false }); return; }
    map.fitBounds(M.fit, { paddingTopLeft: tl, paddingBottomRight: br, animate: false });
  }

  function popupFid(popup) {
    var el = popup && popup.getElement && popup.getElement();
    var div = el && el.querySelector(".corridor-popup[data-fid]");
    return div ? div.dataset.fid : null;
  }

  var accuracy = null;
  function showAccuracy(fid) {
    accuracyLayer.clearLayers();
    accuracy = null;
    var e = index[fid], r = remote[fid];
    var at = e ? e.layer.getLatLng && (e.home || e.layer.getLatLng()) : r && r.latlng;
    var metres = Number((e ? e.props : r ? r.props : {}).accuracy_m);
    if (!at || !(metres > 0)) { return; }
    var colour = e ? e.layer.options.color : tiled[r.cid].style.color;
    // L.circle's radius is in metres on the ground (Leaflet corrects for the latitude).
    L.circle(at, { radius: metres, pane: "pane-accuracy", interactive: false,
      color: colour, weight: 1.5, dashArray: "5 4", fillColor: colour, fillOpacity: 0.1 }).addTo(accuracyLayer);
    accuracy = { fid: fid, metres: metres };
  }

  // A sticky tooltip follows the pointer and closes when the pointer leaves its feature; when
  // the map moves under a still pointer (a fit, a zoom, a popup) it never leaves, so close
  // every tooltip whenever the view changes or a popup opens.
  // Each collection has its own tooltip, so also keep to one open at a time.
  function closeTooltips(keep) {
    Object.keys(layers).forEach(function (cid) {
      var tip = layers[cid].getTooltip && layers[cid].getTooltip();
      if (tip && tip !== keep && layers[cid].closeTooltip) { layers[cid].closeTooltip(); }
    });
  }
  map.on("movestart zoomstart popupopen", function () { closeTooltips(null); });
  map.on("tooltipopen", function (ev) { closeTooltips(ev.tooltip); });
  map.on("popupopen", function (ev) { showAccuracy(popupFid(ev.popup)); });
  map.on("popupclose", function () { accuracyLayer.clearLayers(); accuracy = null; });

  // ---- permalink ----------------------------------------------------------------------------
  function visibleLayers() {
    var ids = Object.keys(layers).filter(function (cid) { return map.hasLayer(layers[cid]); });
    Object.keys(tiles).forEach(function (tid) { if (map.hasLayer(tiles[tid])) { ids.push(tid); } });
    return ids;
  }

  function params(forLang) {
    var c = map.getCenter();
    var p = new URLSearchParams();
    p.set("lang", forLang || lang);
    p.set("map", map.getZoom() + "/" + c.lat.toFixed(5) + "/" + c.lng.toFixed(5));
    p.set("layers", visibleLayers().join(","));
    if (state.q.trim()) { p.set("q", state.q.trim()); }
    if (state.industry) { p.set("industry", state.industry); }
    if (state.near) { p.set("near", state.near); }
    if (state.near && isFinite(state.km) && state.measure === "km") { p.set("km", String(state.km)); }
    if (state.measure === "minutes") {
      p.set("minutes", String(state.minutes));
      p.set("travel", state.travel);
      p.set("network", state.network);
    }
    if (state.at) { p.set("at", state.at); }
    if (state.year !== 2025) { p.set("year", String(state.year)); }
    if (!state.undated) { p.set("undated", "0"); }
    return p;
  }

  var ready = false;
  function sync() {
    if (!ready) { return; }
    var p = params();
    history.replaceState(null, "", location.pathname + "?" + p.toString());
    $("permalink").value = location.href;
    var other = lang === "zh" ? "en" : "zh";
    $("lang-switch").href = location.pathname + "?" + params(other).toString();
  }

  function restore() {
    var p = new URLSearchParams(location.search);
    var view = (p.get("map") || "").split("/").map(Number);
    // Not animated: an animated zoom only starts on the next animation frame (late on a busy
    // machine), so the page would say it is ready, and write its permalink, at the old zoom.
    if (view.length === 3 && view.every(isFinite)) { map.setView(toLatLng(view[2], view[1]), view[0], { animate: false }); }
    else { fitInitial(); }
    if (p.has("layers")) {
      var want = {};
      p.get("layers").split(",").forEach(function (id) { want[id] = true; });
      Object.keys(layers).forEach(function (cid) {
        if (want[cid] && !map.hasLayer(layers[cid])) { map.addLayer(layers[cid]); }
        if (!want[cid] && map.hasLayer(layers[cid])) { map.removeLayer(layers[cid]); }
      });
      Object.keys(tiles).forEach(function (tid) {
        if (want[tid] && !map.hasLayer(tiles[tid])) { map.addLayer(tiles[tid]); }
      });
    }
    var jobs = [];
    if (p.get("q")) { state.q = p.get("q"); $("search-input").value = state.q; jobs.push(runSearch()); }
    if (p.get("industry")) {
      state.industry = p.get("industry"); $("industry-select").value = state.industry; jobs.push(runIndustry());
    }
    if (p.get("km")) { setKm(Number(p.get("km"))); }
    if (p.get("minutes") && $("near-measure")) {
      setMeasure("minutes");
      state.minutes = Number(p.get("minutes"));
      $("reach-minutes").value = p.get("minutes");
      if (["walk", "cycle", "drive"].indexOf(p.get("travel")) >= 0) { state.travel = p.get("travel"); }
      $("reach-mode").value = state.travel;
      if ((cfg.networks || []).indexOf(p.get("network")) >= 0) { state.network = p.get("network"); }
      $("reach-network").value = state.network;
    }
    // a link that asks a question ("show on the map" from a profile) opens on its answer
    if (p.get("near")) { state.near = p.get("near"); jobs.push(runNear(!view.every(isFinite) || view.length !== 3)); }
    if (p.get("at")) { state.at = p.get("at"); jobs.push(runAt()); }
    var year = Number(p.get("year"));
    if (p.has("year") || p.has("undated")) {
      setYear(year >= 2020 && year <= 2025 ? Math.round(year) : 2025, p.get("undated") !== "0");
    }
    return Promise.all(jobs);
  }

  // ---- wiring -------------------------------------------------------------------------------
  $("search-input").addEventListener("input", function (ev) {
    state.q = ev.target.value;
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 250);
  });
  $("industry-select").addEventListener("change", function (ev) { state.industry = ev.target.value; runIndustry(); });
  $("near-km-range").addEventListener("input", function (ev) { setKm(Number(ev.target.value)); });
  $("near-km-range").addEventListener("change", function () { if (state.near) { runNear(); } else { sync(); } });
  $("near-km").addEventListener("change", function (ev) {
    var km = ev.target.value.trim() === "" ? NaN : Number(ev.target.value);
    state.km = km;
    var problem = kmProblem(km);
    if (problem) {
      clearNear();
      ev.target.setAttribute("aria-invalid", "true");
      nearMessage(problem, true);
      return;
    }
    setKm(km);
    if (state.near) { runNear(); } else { nearMessage(""); sync(); }
  });
  $("near-run").addEventListener("click", function () { runNear(true); });
  function setMeasure(measure) {
    state.measure = measure;
    $("reach-options").hidden = measure !== "minutes";
    Array.prototype.forEach.call(document.querySelectorAll("input[name=measure]"), function (r) {
      r.checked = r.value === measure;
    });
  }
  if ($("near-measure")) {
    Array.prototype.forEach.call(document.querySelectorAll("input[name=measure]"), function (r) {
      r.addEventListener("change", function () {
        setMeasure(r.value);
        if (state.near) { runNear(); } else { sync(); }
      });
    });
    $("reach-minutes").addEventListener("change", function (ev) {
      state.minutes = ev.target.value.trim() === "" ? NaN : Number(ev.target.value);
      if (state.near) { runNear(); } else { sync(); }
    });
    [["reach-mode", "travel"], ["reach-network", "network"]].forEach(function (pair) {
      $(pair[0]).addEventListener("change", function (ev) {
        state[pair[1]] = ev.target.value;
        if (state.near) { runNear(); } else { sync(); }
      });
    });
  }
  $("near-clear").addEventListener("click", function () {
    state.near = null; state.at = null; $("near-of-label").textContent = ui.near_pick;
    $("at-result").innerHTML = ""; nearAll = []; runNear();
  });
  Array.prototype.forEach.call(document.querySelectorAll("input[name=mode]"), function (r) {
    r.addEventListener("change", function () {
      state.mode = r.value;
      map.getContainer().classList.toggle("pick-mode", state.mode !== "none");
    });
  });
  $("copy-link").addEventListener("click", function () {
    var input = $("permalink");
    input.select();
    if (navigator.clipboard) { navigator.clipboard.writeText(input.value).catch(function () {}); }
    var btn = $("copy-link");
    btn.textContent = ui.copied;
    clearTimeout(btn._reset);
    btn._reset = setTimeout(function () { btn.textContent = ui.copy_link; }, 2000);
  });
  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t.classList && t.classList.contains("pp-open")) {
      focus(t.dataset.fid);
    } else if (t.classList && t.classList.contains("pp-centre")) {
      map.closePopup();
      centreOn(t.dataset.fid, true);
    } else if (t.closest && t.closest("#at-result a[data-fid]")) {
      ev.preventDefault();
      focus(t.closest("a").dataset.fid, t.closest("a").dataset.collection);
    }
  });

  // A click on a feature with a popup never reaches the map (Leaflet stops it to keep the
  // popup open), so the pick modes listen on every layer as well as on the map.
  var lastPick = null;
  function onPick(ev) {
    if (state.mode === "none" || (ev.originalEvent && ev.originalEvent === lastPick)) { return; }
    lastPick = ev.originalEvent;
    map.closePopup();
    var at = ev.latlng.lng.toFixed(6) + "," + ev.latlng.lat.toFixed(6);
    if (state.mode === "near") { centreOn(at); } else { state.at = at; runAt(); }
  }
  map.on("click", onPick);
  Object.keys(layers).forEach(function (cid) { layers[cid].on("click", onPick); });
  map.on("popupopen", function (ev) {
    // In a pick mode a click means "here", not "tell me about this feature".
    if (state.mode !== "none" && ev.popup && !ev.popup._corridorKeep) { setTimeout(function () { map.closePopup(ev.popup); }, 0); }
  });
  map.on("moveend overlayadd overlayremove layeradd layerremove", function () { sync(); });

  // ---- tiled layers -------------------------------------------------------------------------
  // A collection too large to write into the page is a Leaflet.VectorGrid layer of the API's
  // vector tiles: the browser holds only the tiles in view (a dense tile keeps one point per
  // few pixels, with "n" the points it stands for). A tile feature carries its id and names;
  // a click fetches the feature from the items API for its popup.
  // Two fixes to VectorGrid 1.3 under Leaflet 1.9: its canvas tiles answer clicks with
  // L.DomEvent.fakeStop, which Leaflet 1.9 no longer has, and pass on no click that misses
  // a feature (the map would never hear it), so do what Leaflet 1.9's own canvas does; and
  // Leaflet asks a point feature for its getLatLng(), which VectorGrid's point symbols (drawn
  // in tile pixels) never set, so give each its position from its tile.
  if (L.Canvas.Tile) {
    L.Canvas.Tile.include({
      _fireEvent: function (targets, e, type) {
        var tile = this._tileCoord, size = this._size, map = this._map;
        (targets || []).forEach(function (l) {
          if (l._point && !l._latlng) { l._latlng = map.unproject(tile.scaleBy(size).add(l._point), tile.z); }
        });
        L.Canvas.prototype._fireEvent.call(this, targets, e, type);
      },
      _onClick: function (e) {
        var point = this._map.mouseEventToLayerPoint(e).subtract(this.getOffset()), hit = null;
        for (var id in this._layers) {
          var l = this._layers[id];
          if (l.options.interactive && l._containsPoint(point) && !this._map._draggableMoved(l)) { hit = l; }
        }
        this._fireEvent(hit ? [hit] : false, e);
      }
    });
  }
  var remote = {};  // fid -> {cid, props, latlng} of tile features fetched for a popup
  var SKIP_PROPS = { id: 1, name_zh: 1, name_en: 1, source: 1, source_zh: 1, accuracy_m: 1, collection: 1 };

  function itemUrl(cid, fid) {
    return cfg.endpoints.item.replace("{cid}", encodeURIComponent(cid)).replace("{fid}", encodeURIComponent(fid));
  }

  function row(label, valueHtml) { return "<div class=\"pp-row\"><b>" + esc(label) + "</b>: " + valueHtml + "</div>"; }

  // The popup of a feature of a tiled layer, from its GeoJSON (every value escaped).
  function tiledPopupHtml(cid, f, n) {
    var p = f.properties || {};
    var other = lang === "zh" ? "en" : "zh";
    var out = ["<div class=\"pp-name\" lang=\"" + lang + "\">" + esc(name(p)) + "</div>"];
    if (p["name_" + other] && p["name_" + other] !== p["name_" + lang]) {
      out.push("<div class=\"pp-alt\" lang=\"" + other + "\">" + esc(p["name_" + other]) + "</div>");
    }
    out.push(row(ui.layers, esc((cfg.collections[cid] || {}).title || cid)));
    var shown = 0;
    Object.keys(p).forEach(function (k) {
      var v = p[k];
      if (SKIP_PROPS[k] || v === null || v === "" || typeof v === "object" || shown >= 12) { return; }
      out.push(row(k, esc(v)));
      shown++;
    });
    if (Number(p.accuracy_m) > 0) {
      var m = Number(p.accuracy_m);
      out.push(row(ui.accuracy, esc(m >= 1000 ? "±" + (m / 1000).toFixed(1) + " km" : "±" + Math.round(m) + " m")));
    }
    var source = (lang === "zh" && p.source_zh) || p.source;
    if (source) { out.push(row(ui.source, esc(source))); }
    if (n > 1) { out.push("<div class=\"pp-row pp-thinned\">" + esc(ui.tile_thinned.replace("{n}", n)) + "</div>"); }
    out.push("<div class=\"pp-links\"><a href=\"" + esc(itemUrl(cid, fidOf(f))) + "?f=html\" target=\"_blank\" class=\"pp-api\">" +
      esc(ui.api_link) + "</a> · <button type=\"button\" class=\"pp-centre\" data-fid=\"" + esc(fidOf(f)) + "\">" +
      esc(ui.centre_here) + "</button></div>");
    return "<div class=\"corridor-popup\" data-fid=\"" + esc(fidOf(f)) + "\">" + out.join("") + "</div>";
  }

  function fetchTiled(cid, fid) {
    return getJSON(itemUrl(cid, fid)).then(function (f) {
      var bounds = L.geoJSON(f).getBounds();
      var point = f.geometry && f.geometry.type === "Point";
      remote[fid] = { cid: cid, props: f.properties || {}, latlng: point ? bounds.getCenter() : null, bounds: bounds, feature: f };
      return remote[fid];
    });
  }

  function openTiledPopup(cid, fid, latlng, n) {
    var popup = L.popup({ maxWidth: 380 }).setLatLng(latlng)
      .setContent("<div class=\"corridor-popup\" data-fid=\"" + esc(fid) + "\">" + esc(ui.loading) + "</div>")
      .openOn(map);
    return fetchTiled(cid, fid).then(function (r) {
      if (!map.hasLayer(popup)) { return; }  // closed meanwhile
      popup.setContent(tiledPopupHtml(cid, r.feature, n));
      showAccuracy(fid);
    }).catch(function (err) {
      if (map.hasLayer(popup)) { popup.setContent(esc(ui.error) + ": " + esc(err.message || err)); }
    });
  }

  // A result row of a tiled layer: the page does not hold the feature, so ask for it first.
  function focusTiled(cid, fid) {
    if (!map.hasLayer(layers[cid])) { map.addLayer(layers[cid]); }
    return fetchTiled(cid, fid).then(function (r) {
      if (r.latlng) { map.setView(r.latlng, Math.max(map.getZoom(), 15)); }
      else { map.fitBounds(r.bounds, { maxZoom: 15 }); }
      return openTiledPopup(cid, fid, r.latlng || r.bounds.getCenter(), 1);
    }).catch(function () { /* the list stays; the rest of the map works */ });
  }

  Object.keys(tiled).forEach(function (cid) {
    var layer = layers[cid];
    // the tooltip is the layer's; each feature the pointer enters gives it its name
    layer.bindTooltip("", { sticky: true });
    layer.on("mouseover", function (e) {
      var p = e.layer && e.layer.properties;
      if (p) { layer.setTooltipContent(esc(name(p))); }
    });
    layer.on("click", function (e) {
      var p = e.layer && e.layer.properties;
      if (state.mode !== "none" || !p || !p.id) { return; }
      openTiledPopup(cid, String(p.id), e.latlng, Number(p.n) || 1);
    });
  });

  // The plan over time: a feature shows when its own interval [start, end] reaches the end
  // of the chosen year (the same rule as the API's datetime=../YYYY-12-31); "planned, no
  // date" shows only while that box is ticked; a start not published is open (always shown).
  var hiddenByTime = [];
  state.year = 2025; state.undated = true;
  function shownIn(p, year, undated) {
    var iv = p.interval;
    if (!iv) { return true; }
    if (!iv[0]) { return p.status !== "planned" || undated; }
    return Number(iv[0].slice(0, 4)) <= year && (!iv[1] || Number(iv[1].slice(0, 4)) >= year);
  }
  function setYear(year, undated) {
    hiddenByTime.forEach(function (e) { if (!e.group.hasLayer(e.layer)) { e.group.addLayer(e.layer); } });
    hiddenByTime = [];
    Object.keys(index).forEach(function (fid) {
      var e = index[fid];
      if (!shownIn(e.props, year, undated)) {
        var group = layers[e.cid];
        if (group.hasLayer(e.layer)) { group.removeLayer(e.layer); hiddenByTime.push({ group: group, layer: e.layer }); }
      }
    });
    state.year = year; state.undated = undated;
    $("year-range").value = String(year); $("year-value").textContent = String(year);
    $("year-undated").checked = undated;
    sync();
  }
  $("year-range").addEventListener("input", function (ev) { setYear(Number(ev.target.value), state.undated); });
  $("year-undated").addEventListener("change", function (ev) { setYear(state.year, ev.target.checked); });

  // Printing lays the map out at another size: let Leaflet redraw for it and back.
  var printing = window.matchMedia("print");
  var onPrint = function () { map.invalidateSize({ animate: false }); };
  if (printing.addEventListener) { printing.addEventListener("change", onPrint); }
  window.addEventListener("beforeprint", onPrint);
  window.addEventListener("afterprint", onPrint);

  zoomClass();
  var restored = restore();
  // Tiled layers join the map once its first view is set (build.py leaves them off), so
  // they ask for that view's tiles only; a permalink's "layers" has already decided.
  if (!new URLSearchParams(location.search).has("layers")) {
    Object.keys(tiled).forEach(function (cid) {
      if (tiled[cid].show && !map.hasLayer(layers[cid])) { map.addLayer(layers[cid]); }
    });
  }
  spread();
  ready = true;
  sync();

  window.corridorApp = {
    map: map, layers: layers, index: index, state: state,
    highlighted: highlighted, visibleLayers: visibleLayers, openPopup: openPopup,
    accuracy: function () { return accuracy; }, fitInitial: fitInitial,
    ready: restored.then(function () { return true; }),
    runNear: function (of, km) { setKm(km); return centreOn(of); },
    focus: focus, tiled: tiled,
    runAt: function (lon, lat) { state.at = lon + "," + lat; return runAt(); },
    setYear: setYear, hiddenByTime: function () { return hiddenByTime.length; },
    search: function (q) { state.q = q; $("search-input").value = q; return runSearch(); },
    industry: function (term) { state.industry = term; $("industry-select").value = term; return runIndustry(); }
  };
})();
