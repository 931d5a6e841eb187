export { ApiError, type ClientOptions, ScenecastClient } from './client.js';
export {
  type Auth,
  clientIdHeader,
  csrfHeader,
  type Endpoint,
  endpoints,
  type RequestOf,
  type ResponseOf,
  sessionCookie,
} from './endpoints.js';
export {
  attributes,
  cameraIdentity,
  chatAttributes,
  chatKinds,
  chatTopic,
  moderatorIdentity,
  type Role,
  roles,
  sceneOf,
} from './livekit.js';
export { honouringRetryAfter } from './retry.js';
export type {
  ChatPolicy,
  ChatPolicyInput,
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
  PublishGrant,
  PublishLink,
  Scene,
  SceneInput,
  SceneKind,
  Session,
  Show,
  ShowList,
  ShowStatus,
  SourceKind,
  TraceInput,
  TraceRecord,
  UpdateScene,
  UpdateShow,
  WhipSettings,
} from './schemas.js';
export * as schemas from './schemas.js';
export { showLimits } from './schemas.js';
export { hiddenCharacter, visibleText } from './text.js';
