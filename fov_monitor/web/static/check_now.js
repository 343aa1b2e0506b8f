// "Check now": say at once that the check runs and how long it may take; the page comes back with its verdict.
"use strict";
(function () {
  const form = document.getElementById("check-now-form");
  if (!form) return;
  form.addEventListener("submit", () => {
    const button = document.getElementById("check-now");
    const status = document.getElementById("check-status");
    button.disabled = true;
    button.textContent = "Checking…";
    form.setAttribute("aria-busy", "true");
    status.textContent = "Grabbing a frame and judging it; the camera is given up to " +
      form.dataset.timeoutS + " s to answer. The page shows the verdict when it is done.";
  });
})();
