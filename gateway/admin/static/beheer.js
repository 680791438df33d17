// Small conveniences; every page works without them.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // "Kies alle" for the ZIP export.
  const alles = document.querySelector("[data-alles]");
  if (alles) {
    alles.addEventListener("change", () => {
      document.querySelectorAll('input[name="id"]').forEach((vak) => { vak.checked = alles.checked; });
    });
  }
  // Ask before actions that send or change something.
  document.querySelectorAll("[data-bevestig]").forEach((knop) => {
    knop.addEventListener("click", (e) => { if (!window.confirm(knop.dataset.bevestig)) e.preventDefault(); });
  });
  // A finding's location link brings its first line into view and lights up that finding's lines.
  document.querySelectorAll("[data-toon]").forEach((link) => {
    link.addEventListener("click", () => {
      const index = link.dataset.toon;
      document.querySelectorAll(".xml tr.actief, .bevinding.actief").forEach((el) => el.classList.remove("actief"));
      document.querySelectorAll(".xml tr.markering").forEach((rij) => {
        if (rij.dataset.bevindingen.split(" ").includes(index)) rij.classList.add("actief");
      });
      const bevinding = document.getElementById("bevinding-" + index);
      if (bevinding) bevinding.classList.add("actief");
    });
  });
  // The own-period date fields only matter for "van … tot en met …".
  const periode = document.querySelector("[data-periode]");
  if (periode) {
    const bijwerken = () => document.querySelectorAll(".filters .eigen").forEach((veld) => {
      veld.hidden = periode.value !== "eigen";
    });
    periode.addEventListener("change", bijwerken);
    bijwerken();
  }
});
