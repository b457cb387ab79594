/*
 * Copy buttons for the page that shows a new key. The buttons start hidden:
 * without this script the fields are still there to select and copy by hand.
 * It is a file rather than an inline script so that a site's Content
 * Security Policy need not allow inline scripts.
 */
(function () {
  "use strict";

  var status = document.getElementById("vk-copy-status");

  function say(message) {
    if (status) {
      status.textContent = message;
    }
  }

  function copyBySelection(field) {
    field.focus();
    field.select();
    try {
      return document.execCommand("copy");
    } catch (error) {
      return false;
    }
  }

  document.querySelectorAll("[data-vk-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-vk-copy"));
    if (!field) {
      return;
    }
    var copied = button.getAttribute("data-vk-copied");
    var failed = status ? status.getAttribute("data-vk-failed") : "";

    button.addEventListener("click", function () {
      var fallBack = function () {
        say(copyBySelection(field) ? copied : failed);
      };
      // The asynchronous clipboard exists only on HTTPS and localhost; a
      // site served otherwise falls back to copying the selection.
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(function () {
          say(copied);
        }, fallBack);
      } else {
        fallBack();
      }
    });
    button.hidden = false;
  });

  // One click in a field selects all of it, ready to copy.
  document.querySelectorAll(".vk-copy").forEach(function (field) {
    field.addEventListener("focus", function () {
      field.select();
    });
  });
})();
