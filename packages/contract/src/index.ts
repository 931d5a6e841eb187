export { ApiError, type ClientOptions, ScenecastClient } from './client.js';
export { type Auth, type Endpoint, endpoints, type RequestOf, type ResponseOf } from './endpoints.js';
export { attributes, cameraIdentity, chatTopic, type Role, roles, sceneOf } from './livekit.js';
export type {
  CreateBrand,
  CreatedBrand,
  CreateShow,
  Feed,
  FeedInput,
  FeedQuality,
  FeedStatus,
  IssuedToken,
  Problem,
  PublicFeedStatus,
  PublicScene,
  PublicShow,
  Scene,
  SceneInput,
  SceneKind,
  Show,
  ShowList,
  ShowStatus,
  SourceKind,
  TraceInput,
  TraceRecord,
  UpdateShow,
} from './schemas.js';
export * as schemas from './schemas.js';
