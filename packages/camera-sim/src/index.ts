export {
  type CameraAuth,
  type CameraOptions,
  disposeCameras,
  type RunningCamera,
  startCamera,
} from './camera.js';
export { I420 } from './i420.js';
export { bandRect, SceneRenderer } from './renderer.js';
export { lookFor, sceneColors, sceneLooks } from './scenes.js';
