// The error advice the screens use: the shared map from each ErrorCode to its plain words and
// what to do (src-main/shared/i18n/error-advice.ts), so the tray says the same.
export {
  errorActionKey,
  errorTextKey,
  type ActionKey,
} from '../../src-main/shared/i18n/error-advice';
