// About: the app's name beside its mark, then its version, commit and the runtime versions,
// from app.info.
import { useAppState, useI18n } from '../app-context';
import { AppMark } from '../components/app-mark';
import { DetailsList } from '../components/details-list';
import { selectInfo } from '../store/selectors';

export function AboutScreen() {
  const { t } = useI18n();
  const info = useAppState(selectInfo);
  return (
    <section className="screen" aria-labelledby="about-heading">
      <header className="screen-header">
        <h2 id="about-heading">{t('about.heading')}</h2>
      </header>
      <div className="panel about-card">
        <AppMark />
        <p className="about-name">{t('app.title')}</p>
      </div>
      {info ? (
        <DetailsList
          items={[
            { label: t('about.version'), value: info.version, testId: 'version' },
            { label: t('about.commit'), value: <code>{info.commit}</code> },
            { label: t('about.electron'), value: info.electron },
            { label: t('about.chrome'), value: info.chrome },
            { label: t('about.node'), value: info.node },
            { label: t('about.platform'), value: info.platform },
          ]}
        />
      ) : (
        <p className="muted">{t('app.loading')}</p>
      )}
    </section>
  );
}
