// Runs in the browser after the viewer is filled: bring the chosen highlight into view.
() => {
  setTimeout(() => {
    const mark = document.querySelector('#doc-viewer mark.current');
    if (mark) { mark.scrollIntoView({block: 'center'}); }
  }, 100);
}
