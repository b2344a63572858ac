'use strict';
// Copy buttons on the review page: <button data-copy="ID" data-copied="message"> copies field ID's text
// and says so in the #copy-status line. The clipboard API needs a secure context (HTTPS, or
// http://127.0.0.1 and localhost); anywhere else the text is copied the old way, or left
// selected for the editor to copy.
document.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-copy]');
    if (!button) {
        return;
    }
    const field = document.getElementById(button.dataset.copy);
    const status = document.getElementById('copy-status');
    let copied = false;
    if (navigator.clipboard && window.isSecureContext) {
        try {
            await navigator.clipboard.writeText(field.value);
            copied = true;
        } catch (error) {
            // Refused (no permission, page not focused): fall back to selecting the text.
        }
    }
    if (!copied) {
        field.focus();
        field.select();
        try {
            copied = document.execCommand('copy');
        } catch (error) {
            copied = false;
        }
    }
    status.textContent = copied
        ? button.dataset.copied
        : 'The address is selected: press Ctrl+C (⌘C on a Mac) to copy it.';
});
