export {
  type CameraAuth,
  type CameraLayer,
  type CameraOptions,
  type CameraStats,
  type CameraUplink,
  cameraLogger,
  defaultBitrate,
  disposeCameras,
  type RunningCamera,
  startCamera,
} from './camera.js';
export { clockCharacters, GlyphStrip, hasFonts } from './glyphs.js';
export { I420, meanRgb, type Rect, rgbToYuv, yuvToRgb } from './i420.js';
export {
  bandRect,
  clockLength,
  clockText,
  type RendererOptions,
  type SceneLayout,
  SceneRenderer,
  sceneLayout,
  wedgeLineWidths,
} from './renderer.js';
export {
  lookFor,
  type Rgb,
  type SceneLook,
  sceneColors,
  sceneForColor,
  sceneLooks,
  scenePilotTones,
} from './scenes.js';
export { pictureToPng } from './snapshot.js';
export {
  hostScript,
  renderSpeech,
  SceneSound,
  type SoundKind,
  soundQueueMs,
  soundSampleRate,
} from './sound.js';
export { writeY4m, type Y4mClip } from './y4m.js';
