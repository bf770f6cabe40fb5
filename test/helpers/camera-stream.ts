/** The simulated camera's clip and RTMP publisher, as the simulator has them (src/simulator/video.ts). */
export {
  cameraClip,
  clipPreviewBase64,
  publishCamera,
  type CameraPublication,
} from '../../src/simulator/video.ts';
