// A library picture's focal point (templates/admin/articles/picture/change_form.html): a
// click on the picture, or the arrow keys on it, writes the two number inputs, which stay
// the record the form saves; the marker and the crops beside the picture follow them.
// Positions are set through the CSSOM: the Content-Security-Policy forbids style="".
"use strict";
{
  const clamp = (value) => Math.min(100, Math.max(0, Math.round(value)));

  function read(input) {
    const value = Number.parseInt(input.value, 10);
    return Number.isNaN(value) ? 50 : clamp(value);
  }

  // The object-position that shows the same crop as the server's focal_crop_box
  // (articles/editing/images.py): the focus centred unless that would leave the picture.
  function cropPosition(image, ratio, x, y) {
    const width = image.naturalWidth;
    const height = image.naturalHeight;
    if (!width || !height) return `${x}% ${y}%`;
    const wide = width / height > ratio;
    const cropWidth = wide ? height * ratio : width;
    const cropHeight = wide ? height : width / ratio;
    const along = (size, crop, focus) =>
      size - crop < 1 ? 50 : (Math.min(Math.max((size * focus) / 100 - crop / 2, 0), size - crop) / (size - crop)) * 100;
    return `${along(width, cropWidth, x)}% ${along(height, cropHeight, y)}%`;
  }

  function setUp(panel) {
    const stage = panel.querySelector(".focal-point__stage");
    const picture = panel.querySelector(".focal-point__image");
    const marker = panel.querySelector(".focal-point__marker");
    const status = panel.querySelector(".focal-point__status");
    const crops = panel.querySelectorAll("[data-crop-ratio]");
    const across = document.getElementById("id_focus_x");
    const down = document.getElementById("id_focus_y");
    if (!stage || !across || !down) return;

    function show() {
      const x = read(across);
      const y = read(down);
      marker.style.left = `${x}%`;
      marker.style.top = `${y}%`;
      for (const crop of crops) {
        crop.style.objectPosition = cropPosition(crop, Number(crop.dataset.cropRatio), x, y);
      }
      status.textContent = `Focal point: ${x}% across, ${y}% down.`;
    }

    function move(x, y) {
      across.value = clamp(x);
      down.value = clamp(y);
      show();
    }

    stage.addEventListener("click", (event) => {
      // Enter or Space on the button is a click with no pointer: the arrow keys move it.
      if (event.detail === 0) return;
      const box = picture.getBoundingClientRect();
      move(((event.clientX - box.left) / box.width) * 100, ((event.clientY - box.top) / box.height) * 100);
    });
    const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    stage.addEventListener("keydown", (event) => {
      const step = steps[event.key];
      if (!step) return;
      event.preventDefault();
      const size = event.shiftKey ? 10 : 1;
      move(read(across) + step[0] * size, read(down) + step[1] * size);
    });
    for (const input of [across, down]) input.addEventListener("input", show);
    for (const crop of crops) crop.addEventListener("load", show);
    show();
  }

  for (const panel of document.querySelectorAll("[data-focal-point]")) setUp(panel);
}
