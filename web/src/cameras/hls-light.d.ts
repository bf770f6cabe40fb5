// hls.js ships the types of its full build only; the light build has the same API, less some
// features (subtitles, alternate audio, DRM) that cameras do not use.
declare module 'hls.js/light' {
  import Hls from 'hls.js';
  export default Hls;
}
