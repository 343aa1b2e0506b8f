// "Check now": say at once that the check runs and how long it may take; the page comes back with its verdict.
// The words are the page's, in its language (the form's data-checking and data-checking-status).
"use strict";
(function () {
  const form = document.getElementById("check-now-form");
  if (!form) return;
  form.addEventListener("submit", () => {
    const button = document.getElementById("check-now");
    const status = document.getElementById("check-status");
    button.disabled = true;
    button.textContent = form.dataset.checking;
    form.setAttribute("aria-busy", "true");
    status.textContent = form.dataset.checkingStatus;
  });
})();
