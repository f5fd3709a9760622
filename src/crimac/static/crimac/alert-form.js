// Add another person / vehicle / phone / identifier row by cloning the last one with a new index.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-add-row]");
  if (!button) return;
  event.preventDefault();
  var group = button.getAttribute("data-add-row");
  var rows = document.querySelectorAll('[data-row="' + group + '"]');
  if (rows.length >= 50) return;
  var last = rows[rows.length - 1];
  var next = rows.length;
  var clone = last.cloneNode(true);
  clone.querySelectorAll("input, select, textarea, label").forEach(function (el) {
    ["name", "id", "for"].forEach(function (attr) {
      var value = el.getAttribute(attr);
      if (value) el.setAttribute(attr, value.replace(new RegExp(group + "-\\d+-"), group + "-" + next + "-"));
    });
    if (el.tagName === "INPUT" && el.type !== "checkbox") el.value = "";
    if (el.tagName === "SELECT") el.selectedIndex = 0;
    if (el.tagName === "TEXTAREA") el.value = "";
  });
  clone.querySelectorAll(".errorlist").forEach(function (el) { el.remove(); });
  var heading = clone.querySelector("[data-row-number]");
  if (heading) heading.textContent = String(next + 1);
  last.parentNode.insertBefore(clone, last.nextSibling);
  var first = clone.querySelector("input, select");
  if (first) first.focus();
});
