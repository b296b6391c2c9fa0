; CloudBridge Desktop additions to electron-builder's NSIS installer (nsis.include in
; electron-builder.yml). Only the uninstaller changes: a page asking whether to remove the
; saved relay token (Windows Credential Manager) and the settings/logs folder, both off by
; default, and never on an update. Installing itself is electron-builder's assisted flow.
;
; Silent uninstall: `Uninstall CloudBridge Desktop.exe /S [--remove-credentials] [--delete-app-data]`.
; electron-builder treats NSIS warnings as errors (-WX): everything used only by the
; uninstaller stays inside BUILD_UNINSTALLER so the installer pass declares nothing unused.

!ifdef BUILD_UNINSTALLER
  !include LogicLib.nsh
  !include nsDialogs.nsh
  !include FileFunc.nsh

  Var cbRemoveCredentials
  Var cbRemoveAppData
  Var cbCredentialsBox
  Var cbAppDataBox

  ; Runs from un.onInit: command-line choices for silent uninstalls.
  !macro customUnInit
    StrCpy $cbRemoveCredentials "0"
    StrCpy $cbRemoveAppData "0"
    ${GetParameters} $R0
    ClearErrors
    ${GetOptions} $R0 "--remove-credentials" $R1
    ${IfNot} ${Errors}
      StrCpy $cbRemoveCredentials "1"
    ${EndIf}
    ClearErrors
    ${GetOptions} $R0 "--delete-app-data" $R1
    ${IfNot} ${Errors}
      StrCpy $cbRemoveAppData "1"
    ${EndIf}
  !macroend

  ; The uninstaller's pages: the usual welcome page, then our choices page.
  !macro customUnWelcomePage
    !insertmacro MUI_UNPAGE_WELCOME
    UninstPage custom un.cbCleanupPageCreate un.cbCleanupPageLeave
  !macroend

  Function un.cbCleanupPageCreate
    ; An update runs the old uninstaller silently: nothing to ask, nothing to remove.
    ${If} ${isUpdated}
      Abort
    ${EndIf}
    !insertmacro MUI_HEADER_TEXT "Saved data" "Choose what else to remove from this computer."
    nsDialogs::Create 1018
    Pop $0
    ${If} $0 == error
      Abort
    ${EndIf}
    ${NSD_CreateLabel} 0 0 100% 40u "CloudBridge Desktop keeps your relay token in Windows Credential Manager and your settings and logs in your user profile. Both stay unless you tick them below, so reinstalling later keeps you signed in."
    Pop $0
    ${NSD_CreateCheckbox} 0 48u 100% 12u "Remove the saved relay &token from Windows Credential Manager"
    Pop $cbCredentialsBox
    ${If} $cbRemoveCredentials == "1"
      ${NSD_Check} $cbCredentialsBox
    ${EndIf}
    ${NSD_CreateCheckbox} 0 66u 100% 12u "Remove &settings and logs ($APPDATA\${PRODUCT_NAME})"
    Pop $cbAppDataBox
    ${If} $cbRemoveAppData == "1"
      ${NSD_Check} $cbAppDataBox
    ${EndIf}
    nsDialogs::Show
  FunctionEnd

  Function un.cbCleanupPageLeave
    ${NSD_GetState} $cbCredentialsBox $0
    ${If} $0 == ${BST_CHECKED}
      StrCpy $cbRemoveCredentials "1"
    ${Else}
      StrCpy $cbRemoveCredentials "0"
    ${EndIf}
    ${NSD_GetState} $cbAppDataBox $0
    ${If} $0 == ${BST_CHECKED}
      StrCpy $cbRemoveAppData "1"
    ${Else}
      StrCpy $cbRemoveAppData "0"
    ${EndIf}
  FunctionEnd

  ; Runs in the uninstall section, before the program files are removed.
  !macro customUnInstall
    ${IfNot} ${isUpdated}
      ; "Start at login" entries would point at an executable that is about to go.
      DeleteRegValue HKCU "Software\Microsoft\Windows\CurrentVersion\Run" "${APP_ID}"
      DeleteRegValue HKCU "Software\Microsoft\Windows\CurrentVersion\Run" "${PRODUCT_NAME}"
      DeleteRegValue HKCU "Software\Microsoft\Windows\CurrentVersion\Run" "electron.app.${PRODUCT_NAME}"
      ; The app registers the cloudbridge:// scheme itself (electron/app-lifecycle.ts).
      DeleteRegKey HKCU "Software\Classes\cloudbridge"

      ${If} $cbRemoveCredentials == "1"
        InitPluginsDir
        File "/oname=$PLUGINSDIR\remove-credentials.ps1" "${BUILD_RESOURCES_DIR}\remove-credentials.ps1"
        nsExec::ExecToLog '"$SYSDIR\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "$PLUGINSDIR\remove-credentials.ps1" -Service "${PRODUCT_NAME}"'
        Pop $0
        DetailPrint "Saved relay tokens removed from Credential Manager (exit code $0)"
      ${EndIf}

      ${If} $cbRemoveAppData == "1"
        ; Electron keeps settings and logs per user, whatever the install mode.
        SetShellVarContext current
        RMDir /r "$APPDATA\${PRODUCT_NAME}"
        DetailPrint "Settings and logs removed: $APPDATA\${PRODUCT_NAME}"
        ${If} $installMode == "all"
          SetShellVarContext all
        ${EndIf}
      ${EndIf}
    ${EndIf}
  !macroend
!endif
